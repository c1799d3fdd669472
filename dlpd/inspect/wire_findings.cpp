#include "dlpd/inspect/wire_findings.h"

#include <algorithm>
#include <vector>

#include "dlpd/http/stream_normalizer.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/stream_scanner.h"

namespace dlp {

void MergeUnits(const WireUnits& more, WireUnits* units) {
  for (const WireUnit& u : more) {
    auto at = std::lower_bound(units->begin(), units->end(), u.off,
                               [](const WireUnit& x, uint64_t v) { return x.off < v; });
    if (at != units->end() && at->off == u.off) continue;  // a finding's neighbour added it
    units->insert(at, u);
  }
}

void PlaceOnWire(const WireMap& map, Findings* found, WireUnits* units, WireXors* xors) {
  WireUnits in_span;
  WireXors xor_span;
  for (Finding& x : *found) {
    x.compressed = map.CodedAt(x.start);
    if (x.compressed) {
      x.reason = kReasonCompressedBody;
      x.text_start = static_cast<uint32_t>(x.start);  // the run's span is every value's
    }
    const uint64_t start = map.WireStart(x.start);
    const uint64_t end = x.end > x.start ? map.WireEnd(x.end - 1) : start;
    x.start = start;
    x.end = end;
    in_span.clear();
    map.UnitsIn(start, end, &in_span);
    if (!in_span.empty() && units != nullptr) MergeUnits(in_span, units);
    if (xors == nullptr) continue;
    xor_span.clear();
    map.XorsIn(start, end, &xor_span);
    for (const WireXor& x : xor_span) {
      const bool known = std::any_of(xors->begin(), xors->end(),
                                     [&x](const WireXor& y) { return y.off == x.off; });
      if (!known) xors->push_back(x);
    }
  }
}

Status ScanDecodedBlock(ScanContext& ctx, const uint8_t* data, size_t len, Findings* out,
                        WireUnits* units) {
  StreamNormalizer n(/*http=*/false);
  std::vector<uint8_t> text;
  text.reserve(len);
  n.Feed(data, len, 0, &text);
  n.Finish(&text);
  Findings found;
  if (Status st = ScanBlock(ctx, text.data(), text.size(), &found); !st) return st;
  PlaceOnWire(n.map(), &found, units);
  out->insert(out->end(), found.begin(), found.end());
  return Status::Ok();
}

Status ScanDecodedPieces(ScanContext& ctx, const uint8_t* data, size_t len,
                         const std::vector<size_t>& pieces, StreamNormalizer* normalizer,
                         Findings* out) {
  auto s = StreamScanner::Open(ctx);
  if (!s) return s.error();
  std::vector<uint8_t> text;
  auto scan = [&]() -> Status {
    Status st = s->Feed(ctx, text.data(), text.size(), out);
    text.clear();
    return st;
  };
  size_t pos = 0;
  auto feed = [&](size_t n) -> Status {
    normalizer->Feed(data + pos, n, pos, &text);
    pos += n;
    return scan();
  };
  for (const size_t n : pieces) {
    if (Status st = feed(std::min(n, len - pos)); !st) return st;
  }
  if (Status st = feed(len - pos); !st) return st;
  normalizer->Finish(&text);
  if (Status st = scan(); !st) return st;
  return s->Finish(ctx, out);
}

}  // namespace dlp
