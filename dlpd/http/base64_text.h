// base64 that the receiving application decodes, read from the text it
// reads (the normalized stream, dlpd/http/stream_normalizer.h): the body
// of a MIME part whose header says base64 (`Content-Transfer-Encoding:
// base64` in a multipart form or a mail API's upload), and the data of a
// `data:` URI (`;base64,`, spaces allowed around the word, also when a form
// percent-encodes it). Each such region is decoded into a text of its own,
// one region after another with a boundary byte between them, which a
// scanner of its own reads (dlpd/inspect/base64_scan.h); the normalized
// text is still scanned as it is, so text read as base64 that is none is
// only read twice.
//
// Decoded as the lenient decoders most applications use read it (Python's
// b64decode, Node's Buffer, Java's MIME decoder, PHP's base64_decode): a
// byte outside the alphabet, '=' included, is skipped, not an end, so a
// stray '!' or '=' cannot hide what follows it. A MIME region ends at its
// part's boundary line (the "--" line before the part's headers, or any
// line that begins with "--" when none was seen); a data: URI's ends at a
// byte that ends the string it is in (a quote, '<', '>', '&', a
// parenthesis). JSON's escapes of line breaks ("\r\n") are skipped.
//
// Every decoded byte keeps its group: the four characters (their
// normalized offsets, so the wire bytes through the WireMap) and the three
// bytes they make, which masking re-encodes in place
// (dlpd/mask/base64_mask.h). Groups are kept until PruneBefore.
//
// Hand-written: base64 decoders (libsodium's sodium_base642bin, OpenSSL's
// EVP_DecodeUpdate) take whole buffers and say nothing of where each
// character was; this reads a stream cut anywhere, a character at a time,
// and keeps each character's offset.
//
// Thread-safety: none; one per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

namespace dlp {

// Four base64 characters and the bytes they decode to (fewer at a
// region's end: two characters make one byte, three make two).
struct Base64Group {
  uint64_t decoded = 0;   // the decoded offset of its first byte
  uint64_t norm[4] = {};  // the normalized offset of each character
  uint8_t chars[4] = {};
  uint8_t bytes[3] = {};
  uint8_t nchars = 0;
  uint8_t nbytes = 0;
};

class Base64Text {
 public:
  // The byte the decoded text holds between two regions: a value does not
  // go on across it (nor a line: see StreamNormalizer's boundary byte).
  static constexpr uint8_t kBoundaryByte = '\0';
  // Bytes skipped (spaces, line breaks, bytes outside the alphabet) one
  // region may hold between two characters; more end it: the characters
  // before keep the map to their wire bytes alive.
  static constexpr size_t kMaxGap = 16384;
  // Bytes of part headers read for the blank line that ends them.
  static constexpr size_t kMaxPartHeaders = 1 << 20;
  // The longest boundary line kept (RFC 2046: 70 characters after "--").
  static constexpr size_t kMaxBoundary = 80;

  // `mid_line`: the first byte fed is not known to begin a line (a stream
  // whose text named base64 is read from the scanner's history): a
  // "base64" before the first line break counts as a header's value.
  explicit Base64Text(bool mid_line = false);

  // The 6-bit value of a character of the alphabet, or -1; and the
  // character of a value.
  static int Value(uint8_t c);
  static uint8_t Char(unsigned v);

  // Whether `before` (the text just before) and [text, text + len) name
  // base64 ("base64", any case): a stream that never does needs no
  // Base64Text.
  static bool Mentioned(std::string_view before, const uint8_t* text, size_t len);

  // Reads normalized text [text, text + len) at normalized offset `norm`
  // (REQUIRES: in order, each piece where the last ended; the first may
  // begin anywhere) and appends what regions in it decode to to *out.
  void Feed(const uint8_t* text, size_t len, uint64_t norm, std::vector<uint8_t>* out);
  // The end of the text: a region open decodes its last characters.
  void Finish(std::vector<uint8_t>* out);

  // Decoded bytes made so far.
  uint64_t decoded() const { return decoded_; }
  // Where the current region's decoded bytes begin (or the next one's,
  // after a boundary): nothing before it goes on into a value after it.
  uint64_t region_begin() const { return region_begin_; }
  // The group that decoded byte `d` is in; null for a boundary byte or a
  // group pruned.
  const Base64Group* GroupOf(uint64_t d) const;
  // The same, to record a group's bytes and characters as masking rewrote
  // them (a second value in the same group builds on the first's mask).
  Base64Group* MutableGroupOf(uint64_t d) {
    return const_cast<Base64Group*>(static_cast<const Base64Text*>(this)->GroupOf(d));
  }
  // The normalized offset of the first character that decoded bytes from
  // `d` on, or characters not decoded yet, come from; UINT64_MAX when
  // none do.
  uint64_t NormFrom(uint64_t d) const;
  // Forgets groups whose bytes all come before decoded offset `d`.
  void PruneBefore(uint64_t d);

  // Regions begun: MIME parts and data: URIs.
  uint64_t regions() const { return regions_; }
  size_t memory_bytes() const { return sizeof(*this) + groups_.size() * sizeof(Base64Group); }

 private:
  enum class State : uint8_t {
    kText,         // looking for a region
    kPartHeaders,  // a header said base64: the part's body follows its blank line
    kRegion,       // decoding
  };
  // Where a header line's value is, for "Name: base64".
  enum class Header : uint8_t { kName, kValueLead, kValue, kValueTrail, kNone };

  void Text(uint8_t b);
  void EndLine();
  // Reads a byte in a region; false when it ends the region (the byte is
  // then read as text).
  bool Region(uint8_t b, uint64_t n, std::vector<uint8_t>* out);
  // A byte of a region past the boundary check: a character, or skipped.
  void RegionByte(uint8_t b, uint64_t n, std::vector<uint8_t>* out);
  // Whether the bytes before the ',' just read say ";base64" (spaces allowed).
  bool DataUriMarker() const;
  void Begin(bool mime);
  void End(std::vector<uint8_t>* out);
  void Emit(std::vector<uint8_t>* out);

  State state_ = State::kText;
  // The last bytes read (for ";base64,"), newest last.
  uint8_t recent_[16] = {};
  // The line being read: whether it has a byte other than a line break, its
  // first bytes (a boundary line), and its header value so far.
  bool line_has_bytes_ = false;
  bool after_cr_ = false;
  uint8_t line_[kMaxBoundary] = {};
  size_t line_len_ = 0;
  Header header_ = Header::kName;
  uint8_t value_[8] = {};
  uint8_t value_len_ = 0;
  size_t headers_read_ = 0;
  // The last boundary line seen ("--" and the boundary), which ends the
  // MIME part after it.
  uint8_t boundary_[kMaxBoundary] = {'-', '-'};
  size_t boundary_len_ = 2;
  // In a region: MIME or data: URI; at a line's start, how many of its
  // bytes match the boundary so far (held back: replayed if it is none) and
  // the normalized offset of the first; a '\' read (a JSON escape
  // follows); the bytes skipped since the last character; the characters of
  // the group not complete yet.
  bool mime_ = false;
  bool at_line_start_ = false;
  size_t matched_ = 0;
  uint64_t matched_from_ = 0;
  bool escape_ = false;
  size_t gap_ = 0;
  Base64Group pending_;
  bool region_made_bytes_ = false;
  std::deque<Base64Group> groups_;
  uint64_t decoded_ = 0;
  uint64_t region_begin_ = 0;
  uint64_t regions_ = 0;
};

}  // namespace dlp
