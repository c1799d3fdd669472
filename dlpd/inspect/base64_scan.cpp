#include "dlpd/inspect/base64_scan.h"

#include <algorithm>
#include <string_view>

#include "dlpd/inspect/block_scanner.h"

namespace dlp {

Result<std::unique_ptr<Base64Scan>> Base64Scan::Open(ScanContext& ctx) {
  auto s = StreamScanner::Open(ctx);
  if (!s) return s.error();
  return std::unique_ptr<Base64Scan>(new Base64Scan(std::move(s).value()));
}

bool Base64Scan::AnyReadingHoldsValue(ScanContext& ctx, const uint8_t* text, size_t len) {
  std::vector<uint8_t> chars;
  chars.reserve(len);
  for (size_t i = 0; i < len; ++i) {
    if (Base64Text::Value(text[i]) >= 0) chars.push_back(text[i]);
  }
  std::vector<uint8_t> decoded;
  decoded.reserve(chars.size() / 4 * 3);
  for (size_t skip = 0; skip < 4; ++skip) {
    decoded.clear();
    for (size_t i = skip; i + 4 <= chars.size(); i += 4) {
      uint32_t v = 0;
      for (size_t k = 0; k < 4; ++k)
        v = v << 6 | static_cast<uint32_t>(Base64Text::Value(chars[i + k]));
      decoded.push_back(static_cast<uint8_t>(v >> 16));
      decoded.push_back(static_cast<uint8_t>(v >> 8));
      decoded.push_back(static_cast<uint8_t>(v));
    }
    Findings found;
    if (!ScanBlock(ctx, decoded.data(), decoded.size(), &found) || !found.empty()) return true;
  }
  return false;
}

Status Base64Scan::FeedStream(ScanContext& ctx, std::string_view history, const uint8_t* text,
                              size_t len, uint64_t norm, std::unique_ptr<Base64Scan>* scan,
                              Findings* out) {
  if (*scan == nullptr) {
    if (!Base64Text::Mentioned(history, text, len)) return {};
    auto opened = Open(ctx);
    if (!opened) return opened.error();
    *scan = std::move(opened).value();
    if (Status st = (*scan)->Feed(ctx, reinterpret_cast<const uint8_t*>(history.data()),
                                  history.size(), norm - history.size(), out);
        !st) {
      return st;
    }
  }
  return (*scan)->Feed(ctx, text, len, norm, out);
}

void Base64Scan::InOneRegion(Findings* out, size_t first) const {
  auto kept = out->begin() + static_cast<std::ptrdiff_t>(first);
  for (auto it = kept; it != out->end(); ++it) {
    Finding x = *it;
    for (uint64_t d = x.end; d > x.start; --d) {
      if (text_.GroupOf(d - 1) == nullptr) {
        // A boundary (or a group forgotten): the value is what follows it.
        x.start = d;
        break;
      }
    }
    if (x.start < x.end) *kept++ = x;
  }
  out->erase(kept, out->end());
}

uint64_t Base64Scan::LiveFrom() const {
  return std::max(scanner_.offset() - scanner_.history().size(), text_.region_begin());
}

Status Base64Scan::Feed(ScanContext& ctx, const uint8_t* text, size_t len, uint64_t norm,
                        Findings* out) {
  text_.PruneBefore(scanner_.offset() - scanner_.history().size());
  std::vector<uint8_t>& decoded = ctx.decoded();
  decoded.clear();
  text_.Feed(text, len, norm, &decoded);
  const size_t first = out->size();
  Status st = scanner_.Feed(ctx, decoded.data(), decoded.size(), out);
  InOneRegion(out, first);
  return st;
}

Status Base64Scan::Finish(ScanContext& ctx, Findings* out) {
  std::vector<uint8_t>& decoded = ctx.decoded();
  decoded.clear();
  text_.Finish(&decoded);
  const size_t first = out->size();
  Status st = scanner_.Feed(ctx, decoded.data(), decoded.size(), out);
  if (st) st = scanner_.Finish(ctx, out);
  InOneRegion(out, first);
  return st;
}

Status Base64Scan::ProbeEnd(ScanContext& ctx, Findings* out) const {
  const size_t first = out->size();
  Status st = scanner_.ProbeEnd(ctx, out);
  InOneRegion(out, first);
  return st;
}

uint64_t Base64Scan::OpenRunFrom(ScanContext& ctx) const {
  const std::string_view tail = scanner_.history();
  const auto start = scanner_.offset() == tail.size() ? ValuePrefixes::Start::kStreamStart
                                                      : ValuePrefixes::Start::kInside;
  const ValuePrefixes::ContextCheck context = scanner_.context_check();
  const size_t at =
      ctx.rules().prefixes().OpenValueFrom(tail, start, ctx.prefix_scratch(), &context);
  // A value whose verdict waits for what comes (a table's row?) is held too.
  uint64_t from_off =
      at == std::string_view::npos ? UINT64_MAX : scanner_.offset() - (tail.size() - at);
  from_off = std::min(from_off, scanner_.pending_from());
  // The characters of a group not complete yet are held only inside an open
  // run. Held always, nearly every packet of a base64 upload waits for the
  // next, and a slow link's withheld tails stalled uploads (1 run in 12 at
  // 400 kbit/s). A value that begins in such a group may leave its first
  // one or two bytes, fewer digits than a truncated display shows; it is
  // recorded as partly sent.
  if (from_off >= scanner_.offset()) return UINT64_MAX;
  return text_.NormFrom(std::max(from_off, LiveFrom()));
}

uint64_t Base64Scan::KeepFrom() const {
  // A region that ended took its values with it (its boundary decided
  // them): its characters need no map.
  return text_.NormFrom(LiveFrom());
}

void Base64Scan::PlaceOnWire(const WireMap& map, Finding* x) const {
  // Every byte of a value is in a group (InOneRegion).
  const Base64Group* first = text_.GroupOf(x->start);
  const Base64Group* last = x->end > x->start ? text_.GroupOf(x->end - 1) : nullptr;
  x->base64 = true;
  if (first == nullptr || last == nullptr) {  // REQUIRES broken: nothing to place it on
    x->start = x->end = 0;
    return;
  }
  x->start = map.WireStart(first->norm[0]);
  x->end = map.WireEnd(last->norm[last->nchars - 1]);
}

}  // namespace dlp
