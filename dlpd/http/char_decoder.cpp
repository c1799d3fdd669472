#include "dlpd/http/char_decoder.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace dlp {
namespace {

int HexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
  return -1;
}

// What a code point reads as where a value is concerned: a digit, a space
// or a dash, or itself.
void Classify(uint32_t cp, DecodedChar* out) {
  out->digit = false;
  out->fullwidth = false;
  char ascii = 0;
  if (cp < 0x80) {
    ascii = static_cast<char>(cp);
    out->digit = cp >= '0' && cp <= '9';
  } else if (cp >= 0xFF10 && cp <= 0xFF19) {
    ascii = static_cast<char>('0' + (cp - 0xFF10));
    out->digit = true;
    out->fullwidth = true;
  } else {
    switch (cp) {
      case 0x00A0:  // no-break space
      case 0x2002:  // en space
      case 0x2003:  // em space
      case 0x2004:  // three-per-em space
      case 0x2005:  // four-per-em space
      case 0x2006:  // six-per-em space
      case 0x2007:  // figure space
      case 0x2008:  // punctuation space
      case 0x2009:  // thin space
      case 0x200A:  // hair space
      case 0x202F:  // narrow no-break space
      case 0x3000:  // ideographic space
        ascii = ' ';
        break;
      case 0x2010:  // hyphen
      case 0x2011:  // non-breaking hyphen
      case 0x2012:  // figure dash
      case 0x2013:  // en dash
      case 0x2014:  // em dash
      case 0x2212:  // minus sign
      case 0xFE63:  // small hyphen-minus
      case 0xFF0D:  // full-width hyphen-minus
        ascii = '-';
        break;
      default:
        break;
    }
  }
  if (ascii != 0 || cp == 0) {
    out->text[0] = static_cast<uint8_t>(ascii);
    out->text_len = 1;
    return;
  }
  // Any other code point reads as itself, in UTF-8 (a surrogate as U+FFFD).
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
  if (cp < 0x800) {
    out->text[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    out->text[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    out->text_len = 2;
  } else if (cp < 0x10000) {
    out->text[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
    out->text[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    out->text[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    out->text_len = 3;
  } else {
    out->text[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
    out->text[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
    out->text[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    out->text[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    out->text_len = 4;
  }
}

// The length of the UTF-8 sequence a lead byte begins (0: not a lead).
size_t Utf8Length(uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// The code point of a whole UTF-8 sequence, or -1 when it is not one
// (overlong, surrogate, out of range, a bad continuation byte).
int32_t Utf8CodePoint(const uint8_t* s, size_t len) {
  uint32_t cp = s[0] & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  static constexpr std::array<uint32_t, 5> kMin = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  return static_cast<int32_t>(cp);
}

// Raw UTF-8: only the code points Classify turns into ASCII are decoded;
// everything else stays as sent (the scanner reads it as it is).
Decode DecodeUtf8(const uint8_t* p, size_t n, bool final, DecodedChar* out) {
  const size_t len = Utf8Length(p[0]);
  if (len == 0) return Decode::kPlain;
  if (n < len) {
    // Only the leads of the characters that matter wait for more.
    return final || !MayLeadReadUtf8(p[0]) ? Decode::kPlain : Decode::kNeedMore;
  }
  const int32_t cp = Utf8CodePoint(p, len);
  if (cp < 0) return Decode::kPlain;
  Classify(static_cast<uint32_t>(cp), out);
  if (out->text_len != 1) return Decode::kPlain;  // not one we read as ASCII
  out->wire_len = static_cast<uint8_t>(len);
  out->encoding = WireEncoding::kUtf8;
  return Decode::kDecoded;
}

// Two hex digits at p: their byte, or -1.
int HexByte(const uint8_t* p) {
  const int hi = HexValue(p[0]);
  const int lo = HexValue(p[1]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// One %HH at p (3 bytes at hand): its byte, or -1.
int PercentByte(const uint8_t* p) {
  return p[0] == '%' ? HexByte(p + 1) : -1;
}

// An escape that reads as the one byte `b` (ASCII, or a byte >= 0x80 that
// reads as itself), `wire_len` bytes on the wire.
Decode EscapedByte(int b, uint8_t wire_len, DecodedChar* out) {
  out->digit = b >= '0' && b <= '9';
  out->fullwidth = false;
  out->text[0] = static_cast<uint8_t>(b);
  out->text_len = 1;
  out->wire_len = wire_len;
  return Decode::kDecoded;
}

Decode DecodePercent(const uint8_t* p, size_t n, bool final, DecodedChar* out) {
  if (n < 3) {
    const bool valid_so_far = n < 2 || HexValue(p[1]) >= 0;
    return final || !valid_so_far ? Decode::kPlain : Decode::kNeedMore;
  }
  const int b = PercentByte(p);
  if (b < 0) return Decode::kPlain;
  out->encoding = WireEncoding::kPercent;
  if (b == '%') {
    // "%25" and two hex digits: an escape encoded twice ("%2534"), as a
    // URL nested in a parameter (next=...%2520...) carries its own escapes.
    // Read twice when that gives a digit or a space, what a nested value is
    // written with: one character, 5 bytes. Anything else stays a '%' and
    // the bytes after it, as the application that decodes once reads it
    // ("%2541" before a card is the "%41" it reads, not an 'A' glued to it).
    const bool hex3 = n < 4 || HexValue(p[3]) >= 0;
    if (n < 5 && hex3 && !final) return Decode::kNeedMore;
    const int twice = n >= 5 ? HexByte(p + 3) : -1;
    if ((twice >= '0' && twice <= '9') || twice == ' ') return EscapedByte(twice, 5, out);
  }
  const size_t len = Utf8Length(static_cast<uint8_t>(b));
  if (len > 1) {
    // A UTF-8 sequence in escapes: "%EF%BC%94" is one full-width '4'.
    std::array<uint8_t, 4> seq{static_cast<uint8_t>(b)};
    size_t got = 1;
    for (; got < len; ++got) {
      const size_t at = got * 3;
      if (n < at + 3) {
        // Wait only while what is here still reads as the escapes to come.
        bool so_far = true;
        for (size_t i = at; i < n; ++i) {
          so_far = so_far && (i == at ? p[i] == '%' : HexValue(p[i]) >= 0);
        }
        if (!final && so_far) return Decode::kNeedMore;
        break;
      }
      const int c = PercentByte(p + at);
      if (c < 0) break;
      seq[got] = static_cast<uint8_t>(c);
    }
    if (got == len) {
      const int32_t cp = Utf8CodePoint(seq.data(), len);
      if (cp >= 0) {
        Classify(static_cast<uint32_t>(cp), out);
        out->wire_len = static_cast<uint8_t>(3 * len);
        return Decode::kDecoded;
      }
    }
  }
  // One byte; alone, a byte >= 0x80 reads as itself.
  return EscapedByte(b, 3, out);
}

Decode DecodeBackslash(const uint8_t* p, size_t n, bool final, DecodedChar* out) {
  if (n < 2) return final ? Decode::kPlain : Decode::kNeedMore;
  if (p[1] == '\\') {
    out->encoding = WireEncoding::kBackslash;
    out->text[0] = '\\';
    out->text_len = 1;
    out->wire_len = 2;
    out->digit = out->fullwidth = false;
    return Decode::kDecoded;
  }
  // JSON's one-letter escapes: a line break, a tab, ... ("Card:\n4111..."
  // reads a line break and the card, not the letter n touching it).
  char escaped = 0;
  switch (p[1]) {
    case 'n':
      escaped = '\n';
      break;
    case 't':
      escaped = '\t';
      break;
    case 'r':
      escaped = '\r';
      break;
    case 'b':
      escaped = '\b';
      break;
    case 'f':
      escaped = '\f';
      break;
    case '/':
    case '"':
      escaped = static_cast<char>(p[1]);
      break;
    default:
      break;
  }
  if (escaped != 0) {
    out->encoding = WireEncoding::kBackslash;
    out->text[0] = static_cast<uint8_t>(escaped);
    out->text_len = 1;
    out->wire_len = 2;
    out->digit = out->fullwidth = false;
    return Decode::kDecoded;
  }
  if (p[1] != 'u') return Decode::kPlain;
  uint32_t cp = 0;
  for (size_t i = 2; i < 6; ++i) {
    if (i >= n) return final ? Decode::kPlain : Decode::kNeedMore;
    const int h = HexValue(p[i]);
    if (h < 0) return Decode::kPlain;
    cp = cp * 16 + static_cast<uint32_t>(h);
  }
  out->encoding = WireEncoding::kJsonU;
  Classify(cp, out);
  out->wire_len = 6;
  return Decode::kDecoded;
}

struct NamedReference {
  std::string_view name;  // with '&' and ';'
  char ascii;
};
constexpr std::array<NamedReference, 10> kNamed = {{
    {"&nbsp;", ' '},
    {"&ensp;", ' '},
    {"&emsp;", ' '},
    {"&thinsp;", ' '},
    {"&numsp;", ' '},
    {"&ndash;", '-'},
    {"&mdash;", '-'},
    {"&minus;", '-'},
    {"&hyphen;", '-'},
    {"&dash;", '-'},
}};

Decode DecodeAmpersand(const uint8_t* p, size_t n, bool final, DecodedChar* out) {
  if (n < 2) return final ? Decode::kPlain : Decode::kNeedMore;
  if (p[1] != '#') {
    // Most '&' in traffic join form fields: a name's first letter settles
    // it without comparing names.
    if (!MayFollowAmpersand(p[1])) return Decode::kPlain;
    const std::string_view have(reinterpret_cast<const char*>(p), std::min(n, size_t{10}));
    bool prefix = false;
    for (const NamedReference& r : kNamed) {
      if (r.name[1] != p[1]) continue;
      if (have.substr(0, r.name.size()) == r.name) {
        out->encoding = WireEncoding::kHtmlNamed;
        out->text[0] = static_cast<uint8_t>(r.ascii);
        out->text_len = 1;
        out->wire_len = static_cast<uint8_t>(r.name.size());
        out->digit = out->fullwidth = false;
        out->semicolon = true;
        return Decode::kDecoded;
      }
      prefix = prefix || (have.size() < r.name.size() && r.name.substr(0, have.size()) == have);
    }
    // "&nbsp" without its ';', as HTML decoders read that legacy name.
    if (have.size() >= 6 && have.substr(0, 5) == "&nbsp") {
      out->encoding = WireEncoding::kHtmlNamed;
      out->text[0] = ' ';
      out->text_len = 1;
      out->wire_len = 5;
      out->digit = out->fullwidth = false;
      out->semicolon = false;
      return Decode::kDecoded;
    }
    return prefix && !final ? Decode::kNeedMore : Decode::kPlain;
  }
  // &#DDD; or &#xHHH; the ';' may be missing, as browsers and most HTML
  // decoders read it.
  size_t i = 2;
  const bool hex = i < n && (p[i] | 0x20) == 'x';
  if (hex) ++i;
  const size_t digits_from = i;
  uint32_t cp = 0;
  for (;; ++i) {
    if (i >= n || i >= kMaxEncodedChar) {
      if (i >= kMaxEncodedChar || final) break;
      return Decode::kNeedMore;
    }
    const int v = hex ? HexValue(p[i]) : (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1);
    if (v < 0) break;
    cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    if (cp > 0x10FFFF) return Decode::kPlain;
  }
  if (i == digits_from || cp == 0) return Decode::kPlain;
  const bool semicolon = i < n && p[i] == ';';
  if (i >= kMaxEncodedChar && !semicolon) return Decode::kPlain;
  out->encoding = hex ? WireEncoding::kHtmlHex : WireEncoding::kHtmlDec;
  Classify(cp, out);
  out->semicolon = semicolon;
  out->wire_len = static_cast<uint8_t>(i + (semicolon ? 1 : 0));
  return Decode::kDecoded;
}

// Writes `v` in `width` digits of `base`, zero-padded (the width always
// holds it: it held a digit's code point, and 'X' is as wide).
void WriteNumber(uint32_t v, unsigned base, size_t width, uint8_t* out) {
  for (size_t i = width; i-- > 0;) {
    const uint32_t d = v % base;
    out[i] = static_cast<uint8_t>(d < 10 ? '0' + d : 'A' + (d - 10));
    v /= base;
  }
}

}  // namespace

Decode DecodeChar(const uint8_t* p, size_t n, bool final, DecodedChar* out) {
  out->semicolon = false;
  switch (p[0]) {
    case '%':
      return DecodePercent(p, n, final, out);
    case '\\':
      return DecodeBackslash(p, n, final, out);
    case '&':
      return DecodeAmpersand(p, n, final, out);
    default:
      return p[0] >= 0x80 ? DecodeUtf8(p, n, final, out) : Decode::kPlain;
  }
}

void MaskedEncoding(WireEncoding enc, uint8_t wire_len, bool fullwidth, bool semicolon,
                    uint8_t* out, bool* keep) {
  std::fill(keep, keep + wire_len, true);
  auto put = [&](size_t at, std::string_view s) {
    for (size_t i = 0; i < s.size() && at + i < wire_len; ++i) {
      out[at + i] = static_cast<uint8_t>(s[i]);
      keep[at + i] = false;
    }
  };
  switch (enc) {
    case WireEncoding::kPercent:
      // The last escape's two hex digits: %34 -> %58 ('X'); %EF%BC%94 ->
      // %EF%BC%B8 (full-width 'X').
      put(wire_len - 2u, fullwidth ? "B8" : "58");
      return;
    case WireEncoding::kJsonU:
      put(2, fullwidth ? "FF38" : "0058");
      return;
    case WireEncoding::kHtmlDec:
    case WireEncoding::kHtmlHex: {
      const bool hex = enc == WireEncoding::kHtmlHex;
      const size_t from = hex ? 3 : 2;
      const size_t width = wire_len - from - (semicolon ? 1 : 0);
      const uint32_t x = fullwidth ? 0xFF38 : 'X';
      uint8_t digits[kMaxEncodedChar];
      WriteNumber(x, hex ? 16 : 10, width, digits);
      put(from, std::string_view(reinterpret_cast<const char*>(digits), width));
      return;
    }
    case WireEncoding::kUtf8:
      // EF BC 90-99 -> EF BC B8.
      out[wire_len - 1] = 0xB8;
      keep[wire_len - 1] = false;
      return;
    case WireEncoding::kPlain:
    case WireEncoding::kBackslash:
    case WireEncoding::kHtmlNamed:
      // Never a digit; 'X' in place of a plain byte.
      put(0, "X");
      return;
  }
}

bool EncodedAscii(WireEncoding enc, uint8_t wire_len, bool semicolon, uint8_t c, uint8_t* out,
                  bool* keep) {
  std::fill(keep, keep + wire_len, true);
  auto put = [&](size_t at, const uint8_t* s, size_t n) {
    for (size_t i = 0; i < n && at + i < wire_len; ++i) {
      out[at + i] = s[i];
      keep[at + i] = false;
    }
  };
  uint8_t digits[kMaxEncodedChar];
  switch (enc) {
    case WireEncoding::kPlain:
      if (wire_len != 1) return false;
      put(0, &c, 1);
      return true;
    case WireEncoding::kPercent:
      // "%HH", or "%25HH" read twice; longer is UTF-8, never ASCII.
      if (wire_len != 3 && wire_len != 5) return false;
      WriteNumber(c, 16, 2, digits);
      put(wire_len - 2u, digits, 2);
      return true;
    case WireEncoding::kJsonU:
      if (wire_len != 6) return false;
      WriteNumber(c, 16, 4, digits);
      put(2, digits, 4);
      return true;
    case WireEncoding::kHtmlDec:
    case WireEncoding::kHtmlHex: {
      const bool hex = enc == WireEncoding::kHtmlHex;
      const size_t from = hex ? 3 : 2;
      if (wire_len <= from + (semicolon ? 1 : 0)) return false;
      const size_t width = wire_len - from - (semicolon ? 1 : 0);
      uint32_t room = 1;
      for (size_t i = 0; i < width && room <= c; ++i) room *= hex ? 16 : 10;
      if (c >= room) return false;
      WriteNumber(c, hex ? 16 : 10, width, digits);
      put(from, digits, width);
      return true;
    }
    case WireEncoding::kBackslash:
    case WireEncoding::kHtmlNamed:
    case WireEncoding::kUtf8:
      return false;
  }
  return false;
}

}  // namespace dlp
