#include "dlpd/inspect/gated_scan.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "dlpd/inspect/shape_scan.h"

namespace dlp {
namespace {

// Hyperscan takes an unsigned length. Longer regions are scanned in parts
// that overlap by more than any match, so each match lies whole in one.
constexpr uint64_t kMaxScanPart = 1ULL << 30;

}  // namespace

Status CollectGatedCandidates(ScanContext& ctx, const DigitGate& gate, const uint8_t* text,
                              size_t size, uint64_t base, uint64_t skip_before, ShapedWalk* walk) {
  const CompiledRuleset& rules = ctx.rules();
  const ShapedWalk seen = CollectShapedCandidates(ctx, &gate, text, size, base, skip_before);
  if (walk != nullptr) *walk = seen;
  if (rules.gated_db() == nullptr) return {};
  const uint64_t end = base + size;
  std::vector<Region>& spans = ctx.spans();
  spans.clear();
  uint64_t covered = 0;
  for (const Region& r : gate.regions()) {
    const uint64_t from = std::max(r.from, base);
    const uint64_t to = std::min(r.to, end);
    if (to > from && to > skip_before) {
      spans.push_back({from, to});
      covered += to - from;
    }
  }
  // Where spans cover most of the text (digit-dense bodies), one call over
  // all of it costs less than a call per span.
  if (covered * 2 >= size && spans.size() > 1) spans.assign(1, {base, end});
  const uint64_t overlap = rules.max_width() + 2ULL;
  for (const Region& s : spans) {
    for (uint64_t at = s.from; at < s.to;) {
      const uint64_t part = std::min(s.to - at, kMaxScanPart);
      hs_error_t rc = hs_scan(rules.gated_db(), reinterpret_cast<const char*>(text + (at - base)),
                              static_cast<unsigned>(part), 0, ctx.scratch(), CollectCandidate,
                              ctx.candidate_sink(at));
      if (rc != HS_SUCCESS) return Error{"hs_scan failed: " + std::to_string(rc)};
      if (at + part >= s.to) break;
      at += part - overlap;
    }
  }
  return {};
}

Findings DecidedAtEnd(ScanContext& ctx, const std::vector<Candidate>& candidates,
                      const uint8_t* text, size_t size, uint64_t base, const ColumnTracker* columns,
                      std::vector<Candidate>* undecided) {
  Findings decided;
  if (candidates.empty()) return decided;
  // The last history_width() bytes: a byte before any start a candidate
  // may have, so that '^' cannot match where the copy begins, and what a
  // verdict reads before it.
  const size_t keep = std::min<size_t>(size, ctx.rules().history_width());
  const uint64_t copy_base = base + (size - keep);
  std::vector<uint8_t>& copy = ctx.spare();
  // One sentinel is a word byte, the other is not; a match that holds
  // with both holds with any next byte (and at the end of the stream).
  Findings with_word;
  Findings with_space;
  for (const uint8_t sentinel : {uint8_t{'A'}, uint8_t{' '}}) {
    copy.assign(text + (size - keep), text + size);
    copy.push_back(sentinel);
    // A verdict that waits for more than the next byte is not decided.
    ConfirmCandidates(ctx.rules(), candidates, copy.data(), copy.size(), copy_base,
                      sentinel == 'A' ? &with_word : &with_space, ctx.fingerprinter(),
                      Surroundings{columns, false, base + size, ctx.keyword_memo()}, undecided);
  }
  std::set_intersection(with_word.begin(), with_word.end(), with_space.begin(), with_space.end(),
                        std::back_inserter(decided));
  return decided;
}

Findings Without(const Findings& a, const Findings& b) {
  Findings out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace dlp
