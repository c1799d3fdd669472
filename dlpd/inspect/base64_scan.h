// Values in the base64 an application decodes (dlpd/http/base64_text.h),
// found by a stream scanner of their own over the decoded text, beside the
// stream's scanner over the normalized text. Opened for a stream once its
// text names base64 (Base64Text::Mentioned), so other streams pay one
// SIMD pass over each piece for "64".
//
// Findings come out at decoded offsets; PlaceOnWire moves them onto the
// wire bytes of the groups that hold them, and masking re-encodes those
// groups (dlpd/mask/base64_mask.h) before they are placed.
//
// Thread-safety: none; one per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/http/base64_text.h"
#include "dlpd/http/wire_map.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/stream_scanner.h"

namespace dlp {

class Base64Scan {
 public:
  // REQUIRES: `ctx` is the stream scanner's for the life of this.
  static Result<std::unique_ptr<Base64Scan>> Open(ScanContext& ctx);
  // The stream's next normalized text [text, text + len) at `norm`, which
  // its scanner (holding `history` before it) has not read yet: opens
  // *scan when the text names base64, reading `history` first (where the
  // name may begin), and feeds it. Both callers (the packet path and
  // dlpctl scan) read a stream this way.
  // Whether `text`, read as base64 from each of its four character
  // alignments (bytes outside the alphabet skipped, as decoders skip line
  // breaks), decodes to bytes in which the rules find a value. For bytes
  // whose context is not known: a segment beyond a gap, where the region's
  // marker, and so the alignment, may lie in the gap. True when a scan
  // fails.
  static bool AnyReadingHoldsValue(ScanContext& ctx, const uint8_t* text, size_t len);

  static Status FeedStream(ScanContext& ctx, std::string_view history, const uint8_t* text,
                           size_t len, uint64_t norm, std::unique_ptr<Base64Scan>* scan,
                           Findings* out);

  // Reads normalized text [text, text + len) at normalized offset `norm`
  // (REQUIRES: in order; the first piece may begin anywhere) and appends
  // the values what it decodes confirms, at decoded offsets, each within
  // one region (a match that a rule lets run across the boundary between
  // two is cut to its part in the later one). Groups behind
  // the scanner's history are forgotten first: the findings of one Feed can
  // be re-encoded until the next.
  Status Feed(ScanContext& ctx, const uint8_t* text, size_t len, uint64_t norm, Findings* out);
  // The end of the stream.
  Status Finish(ScanContext& ctx, Findings* out);
  // The values confirmed if the stream ended here, without ending it.
  Status ProbeEnd(ScanContext& ctx, Findings* out) const;

  // The normalized offset of the first character of the group where a value
  // the decoded text may still complete begins (rules/value_prefix.h on the
  // scanner's history); UINT64_MAX when none may.
  uint64_t OpenRunFrom(ScanContext& ctx) const;
  // The normalized offset from which the text must stay mapped to wire
  // bytes: the characters of the scanner's history and of a group not
  // complete; UINT64_MAX when none.
  uint64_t KeepFrom() const;

  // Moves `x` (decoded offsets, found here) onto the wire: from the first
  // character of its first group to the end of the last character of its
  // last, and marks it base64. REQUIRES: the map covers those characters.
  void PlaceOnWire(const WireMap& map, Finding* x) const;

  const Base64Text& text() const { return text_; }
  Base64Text& text() { return text_; }
  size_t memory_bytes() const { return text_.memory_bytes() + scanner_.memory_bytes(); }

 private:
  explicit Base64Scan(StreamScanner s) : scanner_(std::move(s)) {}
  // Cuts the findings from out[first] on to their part in one region.
  void InOneRegion(Findings* out, size_t first) const;
  // The decoded offset from which a value may still be found: the
  // scanner's history, within the current region.
  uint64_t LiveFrom() const;

  // Opened where the text named base64, which may be mid-line: a header's
  // name may be out of what the stream's scanner still holds.
  Base64Text text_{/*mid_line=*/true};
  StreamScanner scanner_;
};

}  // namespace dlp
