// One character as the receiving application reads it, from the bytes it
// was written in: a URL escape (%34, and UTF-8 in escapes: %EF%BC%94), a
// form's '+', a JSON \u escape, an HTML character reference (&#52;, &#x34;,
// &nbsp;), or UTF-8 as sent. The digits and separators a value may be
// written with come out as the ASCII they stand for: full-width digits
// (U+FF10-FF19) as digits; no-break, narrow no-break, thin and other
// spaces as ' '; hyphens, dashes and the minus sign as '-'. Other code
// points come out as their UTF-8.
//
// Hand-written: no library decodes all of these one character at a time
// and says how many wire bytes each took, which the map back to wire bytes
// (and masking in the same encoding) needs.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dlp {

// How a character was written on the wire; masking writes 'X' back in it.
enum class WireEncoding : uint8_t {
  kPlain,      // ASCII as it is (never a DecodedChar)
  kPercent,    // %HH, or several for a UTF-8 sequence
  kJsonU,      // \uHHHH
  kBackslash,  // "\\" in JSON: one backslash (so "\\u0034" is no escape); "\n", "\t", ...
  kHtmlDec,    // &#DDD; (the ';' may be missing)
  kHtmlHex,    // &#xHHH;
  kHtmlNamed,  // &nbsp; and the like
  kUtf8,       // a UTF-8 sequence as sent
};

struct DecodedChar {
  uint8_t text[4] = {};  // what the scanner reads: ASCII, or UTF-8
  uint8_t text_len = 0;
  uint8_t wire_len = 0;  // the bytes it takes on the wire
  WireEncoding encoding = WireEncoding::kPlain;
  bool digit = false;      // a digit, ASCII or full-width: masking rewrites it
  bool fullwidth = false;  // masked as full-width 'X' (U+FF38)
  bool semicolon = false;  // an HTML reference that ends in ';'
};

enum class Decode {
  kPlain,     // p[0] stands for itself
  kDecoded,   // *out says what the first out->wire_len bytes stand for
  kNeedMore,  // p[0..n) may begin an encoded character: more bytes decide
};

// The longest encoded character read (an HTML reference with leading
// zeros); bytes beyond it are not waited for.
constexpr size_t kMaxEncodedChar = 16;

// Whether `b` may begin an encoded character; every other byte stands for
// itself. (A form's '+' too: the rules read it as the space it is.)
// The lead bytes of the UTF-8 characters read as ASCII digits, spaces or
// dashes (U+00A0, U+2002-U+2212, U+3000, U+FE63-U+FF19): any other byte
// >= 0x80 stands for itself, as do the rest of the characters it begins.
// Random and compressed bytes hold few of these four.
inline bool MayLeadReadUtf8(uint8_t b) {
  return b == 0xC2 || b == 0xE2 || b == 0xE3 || b == 0xEF;
}
inline bool MayBeginEncoded(uint8_t b) {
  return b == '%' || b == '\\' || b == '&' || MayLeadReadUtf8(b);
}

// Whether the byte after a '&' may go on into a character reference ('#'
// or the first letter of a name DecodeChar reads); if not, the '&' is
// plain (most join a form's fields). "&amp;#52;" is the text "&#52;": no
// reference follows a '&' there.
inline bool MayFollowAmpersand(uint8_t b) {
  switch (b) {
    case '#':
    case 'n':
    case 'e':
    case 't':
    case 'm':
    case 'h':
    case 'd':
      return true;
    default:
      return false;
  }
}

// Decodes the character at p[0], with n >= 1 bytes at hand. `final`: no
// more bytes follow (the end of a block or of a message), so a prefix of an
// escape is taken as the bytes it is.
Decode DecodeChar(const uint8_t* p, size_t n, bool final, DecodedChar* out);

// The bytes that mask a digit written as `c` was, same length: positions
// [0, c.wire_len) of the character's wire bytes. Bytes of the original that
// stay (the '%', "&#x", leading bytes of a UTF-8 sequence) are given as
// they are only where the encoding fixes them; `keep` marks the others,
// which must be left as they were on the wire. REQUIRES: c.digit.
void MaskedEncoding(WireEncoding enc, uint8_t wire_len, bool fullwidth, bool semicolon,
                    uint8_t* out, bool* keep);

// The bytes that write the ASCII character `c` where a character that read
// as ASCII was written as `enc` in wire_len bytes, same length (base64
// masking re-encodes a group's characters: a '+' written "%2B" becomes
// "%41" for an 'A'). `keep` marks the bytes that stay as they were. False
// when `c` cannot be written there at that length (a reference with too few
// digits, a named one).
bool EncodedAscii(WireEncoding enc, uint8_t wire_len, bool semicolon, uint8_t c, uint8_t* out,
                  bool* keep);

}  // namespace dlp
