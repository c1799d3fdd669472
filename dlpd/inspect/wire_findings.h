// Findings on the text the application reads, placed on the wire bytes it
// came from (dlpd/http/stream_normalizer.h), with the encoded characters
// and framing in their spans, which masking needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/http/wire_map.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/scan_context.h"

namespace dlp {

class StreamNormalizer;  // dlpd/http/stream_normalizer.h

// Turns the normalized offsets of `found` into wire offsets through `map`
// and adds the units in their spans to `units` (kept in wire order, each
// once), and their XOR spans to `xors` when given. REQUIRES: the map
// still covers every finding.
void PlaceOnWire(const WireMap& map, Findings* found, WireUnits* units, WireXors* xors = nullptr);

// ScanBlock on the text [data, data + len) reads as (characters decoded,
// no framing), with findings placed on its bytes (offsets from data) and
// their units appended to `units`.
Status ScanDecodedBlock(ScanContext& ctx, const uint8_t* data, size_t len, Findings* out,
                        WireUnits* units);

// The stream form of the same scan: [data, data + len) fed in pieces (the
// sizes in `pieces`, the rest in one) through `normalizer` (a fresh one,
// without framing) and a stream scanner; appends the findings, on the
// normalized text, to `out` (normalizer->map() places them on the bytes).
Status ScanDecodedPieces(ScanContext& ctx, const uint8_t* data, size_t len,
                         const std::vector<size_t>& pieces, StreamNormalizer* normalizer,
                         Findings* out);

// Adds `more` to `units` (both in wire order), each unit once.
void MergeUnits(const WireUnits& more, WireUnits* units);

}  // namespace dlp
