// The map from the text the scanner reads (decoded, de-chunked: the
// "normalized" stream) back to the wire bytes it came from, so that a
// finding is masked on exactly the bytes of each of its characters, in the
// encoding each was written in, and never on chunk framing.
//
// Two records: spans, in normalized order, each a run of bytes read as
// they are (one wire byte each) or one decoded character (any number of
// wire bytes, maybe cut by framing), or a boundary the scanner reads that
// has no wire bytes (the end of a request); and units, by wire offset, the
// wire bytes that are not plain: an encoded character's, or framing.
//
// Thread-safety: none; one per stream (or per block scan).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dlpd/http/char_decoder.h"

namespace dlp {

// Wire bytes that are not plain: [off, off + len) of a character written in
// `encoding` (the bytes at unit_pos.. of its unit_len wire bytes: framing
// may cut a character in pieces), or framing (never changed).
struct WireUnit {
  uint64_t off = 0;
  uint16_t len = 0;
  uint8_t unit_pos = 0;
  uint8_t unit_len = 0;
  WireEncoding encoding = WireEncoding::kPlain;
  bool framing = false;
  bool digit = false;
  bool fullwidth = false;
  bool semicolon = false;
};
using WireUnits = std::vector<WireUnit>;

// Wire bytes [off, off + len) XOR-masked as a WebSocket client sends its
// payloads: the byte at `off` with key[phase], the next with
// key[(phase + 1) % 4]. The text is read unmasked, and masking writes there
// unmasked, then masks again (ApplyXors).
struct WireXor {
  uint64_t off = 0;
  uint64_t len = 0;
  uint8_t key[4] = {};
  uint8_t phase = 0;
};
using WireXors = std::vector<WireXor>;

// XORs the bytes of `buf` (wire offsets [base, base + len)) that `xors`
// cover with their keys: unmasks them, or masks them again. Returns
// whether any were.
bool ApplyXors(const WireXors& xors, uint8_t* buf, size_t len, uint64_t base);

// A run of normalized bytes [norm, norm + norm_len) and the wire bytes
// [wire, wire_end) they came from. Plain: one wire byte each, in order.
struct MapSpan {
  uint64_t norm = 0;
  uint64_t wire = 0;
  uint64_t wire_end = 0;
  uint32_t norm_len = 0;
  bool plain = false;
  bool coded = false;  // inflated from a compressed body: no wire bytes of its own
};

class WireMap {
 public:
  // Appends, in order. REQUIRES: norm is where the last span ended.
  void AddPlain(uint64_t norm, uint64_t wire, uint32_t len);
  void AddDecoded(uint64_t norm, uint32_t norm_len, uint64_t wire, uint64_t wire_end);
  // Text inflated from a compressed body that begins at wire offset
  // `body` and whose input so far ends at `wire_end`: a value in it is
  // placed on the whole compressed body read so far.
  void AddCoded(uint64_t norm, uint32_t norm_len, uint64_t body, uint64_t wire_end);
  // Whether normalized byte `n` was inflated from a compressed body.
  bool CodedAt(uint64_t n) const;
  // A boundary: normalized bytes with no wire bytes, at wire offset `wire`.
  void AddBoundary(uint64_t norm, uint32_t norm_len, uint64_t wire);
  // Kept in wire order (a character cut by framing comes after it).
  void AddUnit(const WireUnit& u);
  // REQUIRES: in wire order.
  void AddXor(const WireXor& x) { xors_.push_back(x); }
  // Appends the XOR spans that overlap wire bytes [from, to) to `out`.
  void XorsIn(uint64_t from, uint64_t to, WireXors* out) const;

  // The wire offset where normalized byte `n` begins, and where it ends.
  // REQUIRES: n was added and not pruned.
  uint64_t WireStart(uint64_t n) const;
  uint64_t WireEnd(uint64_t n) const;
  // How many normalized bytes came from wire bytes before `w` (a
  // character cut by `w` counts when it began before it).
  uint64_t NormalizedBefore(uint64_t w) const;
  // Appends the units that overlap wire bytes [from, to) to `out`.
  void UnitsIn(uint64_t from, uint64_t to, WireUnits* out) const;
  // Whether a span covers normalized byte `n`.
  bool Covers(uint64_t n) const;

  // Forgets spans that end before normalized offset `norm` and units that
  // end before the wire offset where it begins.
  void PruneBefore(uint64_t norm);
  void Clear();
  size_t memory_bytes() const;

 private:
  const MapSpan* SpanOf(uint64_t n) const;
  std::vector<MapSpan> spans_;
  WireUnits units_;
  WireXors xors_;
};

}  // namespace dlp
