#include "dlpd/http/wire_map.h"

#include <algorithm>

namespace dlp {

void WireMap::AddPlain(uint64_t norm, uint64_t wire, uint32_t len) {
  if (len == 0) return;
  if (!spans_.empty()) {
    MapSpan& last = spans_.back();
    if (last.plain && last.norm + last.norm_len == norm && last.wire_end == wire) {
      last.norm_len += len;
      last.wire_end += len;
      return;
    }
  }
  spans_.push_back({norm, wire, wire + len, len, true});
}

void WireMap::AddDecoded(uint64_t norm, uint32_t norm_len, uint64_t wire, uint64_t wire_end) {
  spans_.push_back({norm, wire, wire_end, norm_len, false});
}

void WireMap::AddCoded(uint64_t norm, uint32_t norm_len, uint64_t body, uint64_t wire_end) {
  spans_.push_back({norm, body, wire_end, norm_len, false, true});
}

bool WireMap::CodedAt(uint64_t n) const {
  const MapSpan* s = SpanOf(n);
  return s != nullptr && s->coded;
}

void WireMap::AddBoundary(uint64_t norm, uint32_t norm_len, uint64_t wire) {
  spans_.push_back({norm, wire, wire, norm_len, false});
}

void WireMap::AddUnit(const WireUnit& u) {
  if (units_.empty() || units_.back().off < u.off) return units_.push_back(u);
  auto at = std::upper_bound(units_.begin(), units_.end(), u.off,
                             [](uint64_t v, const WireUnit& x) { return v < x.off; });
  units_.insert(at, u);
}

const MapSpan* WireMap::SpanOf(uint64_t n) const {
  // The last span that begins at or before n.
  auto it = std::upper_bound(spans_.begin(), spans_.end(), n,
                             [](uint64_t v, const MapSpan& s) { return v < s.norm; });
  if (it == spans_.begin()) return nullptr;
  const MapSpan& s = *std::prev(it);
  return n < s.norm + s.norm_len ? &s : nullptr;
}

bool WireMap::Covers(uint64_t n) const {
  return SpanOf(n) != nullptr;
}

uint64_t WireMap::WireStart(uint64_t n) const {
  const MapSpan* s = SpanOf(n);
  if (s == nullptr) {
    // Before what is kept: as early as known (a hold reaching back further
    // holds more, never less); after it: where the wire bytes end.
    if (spans_.empty()) return 0;
    return n < spans_.front().norm ? spans_.front().wire : spans_.back().wire_end;
  }
  return s->plain ? s->wire + (n - s->norm) : s->wire;
}

uint64_t WireMap::WireEnd(uint64_t n) const {
  const MapSpan* s = SpanOf(n);
  if (s == nullptr) return spans_.empty() ? 0 : spans_.back().wire_end;
  return s->plain ? s->wire + (n - s->norm) + 1 : s->wire_end;
}

uint64_t WireMap::NormalizedBefore(uint64_t w) const {
  // The last span that begins on the wire before w.
  for (auto it = spans_.rbegin(); it != spans_.rend(); ++it) {
    if (it->wire >= w) continue;
    if (it->plain) return it->norm + std::min<uint64_t>(it->norm_len, w - it->wire);
    return it->norm + it->norm_len;
  }
  return spans_.empty() ? 0 : spans_.front().norm;
}

void WireMap::UnitsIn(uint64_t from, uint64_t to, WireUnits* out) const {
  auto it = std::lower_bound(units_.begin(), units_.end(), from,
                             [](const WireUnit& u, uint64_t v) { return u.off + u.len <= v; });
  for (; it != units_.end() && it->off < to; ++it) out->push_back(*it);
}

void WireMap::XorsIn(uint64_t from, uint64_t to, WireXors* out) const {
  for (const WireXor& x : xors_) {
    if (x.off < to && x.off + x.len > from) out->push_back(x);
  }
}

bool ApplyXors(const WireXors& xors, uint8_t* buf, size_t len, uint64_t base) {
  bool any = false;
  for (const WireXor& x : xors) {
    const uint64_t from = std::max(x.off, base);
    const uint64_t to = std::min(x.off + x.len, base + len);
    for (uint64_t w = from; w < to; ++w) {
      buf[w - base] ^= x.key[(x.phase + (w - x.off)) % 4];
      any = true;
    }
  }
  return any;
}

void WireMap::PruneBefore(uint64_t norm) {
  auto keep = std::find_if(spans_.begin(), spans_.end(),
                           [norm](const MapSpan& s) { return s.norm + s.norm_len > norm; });
  if (keep == spans_.begin()) return;
  const uint64_t wire = keep == spans_.end() ? spans_.back().wire_end : keep->wire;
  spans_.erase(spans_.begin(), keep);
  auto ukeep = std::find_if(units_.begin(), units_.end(),
                            [wire](const WireUnit& u) { return u.off + u.len > wire; });
  units_.erase(units_.begin(), ukeep);
  xors_.erase(xors_.begin(), std::find_if(xors_.begin(), xors_.end(), [wire](const WireXor& x) {
                return x.off + x.len > wire;
              }));
}

void WireMap::Clear() {
  spans_.clear();
  units_.clear();
  xors_.clear();
}

size_t WireMap::memory_bytes() const {
  return spans_.capacity() * sizeof(MapSpan) + units_.capacity() * sizeof(WireUnit) +
         xors_.capacity() * sizeof(WireXor);
}

}  // namespace dlp
