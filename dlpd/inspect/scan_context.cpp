#include "dlpd/inspect/scan_context.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>

#include "dlpd/inspect/display_form.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/fingerprint.h"
#include "rules/boundary.h"
#include "rules/value_text.h"

namespace dlp {
namespace {
// Capture groups a pattern may have up to and including (?P<value>...).
constexpr size_t kMaxGroups = 16;
}  // namespace

Result<std::unique_ptr<ScanContext>> ScanContext::Create(
    std::shared_ptr<const CompiledRuleset> rules) {
  std::unique_ptr<ScanContext> ctx(new ScanContext());
  for (const hs_database_t* db : {rules->gated_db(), rules->block_db(), rules->stream_db()}) {
    if (db != nullptr && hs_alloc_scratch(db, &ctx->scratch_) != HS_SUCCESS) {
      return Error{"cannot allocate Hyperscan scratch space"};
    }
  }
  ctx->gate_ = DigitGate(rules->gate_min_digits(), rules->gate_width(),
                         rules->gate_digit_gap().value_or(DigitGate::kAnyGap));
  ctx->rules_ = std::move(rules);
  ctx->sink_.rules = ctx->rules_.get();
  ctx->candidates_.reserve(64);
  return ctx;
}

ScanContext::~ScanContext() {
  hs_free_scratch(scratch_);
}

int CollectCandidate(unsigned id, unsigned long long /*from: no SOM*/, unsigned long long to,
                     unsigned /*flags*/, void* ctx) {
  auto* sink = static_cast<CandidateSink*>(ctx);
  const CompiledPattern& p = sink->rules->patterns()[id];
  const uint64_t end = sink->base + to;
  sink->out->push_back({id, end > p.max_width ? end - p.max_width : 0, end});
  return 0;  // keep scanning
}

bool FindingOf(const CompiledRuleset& rules, const CompiledPattern& p, std::string_view text,
               std::string_view value, uint64_t text_base, Finding* f) {
  if (value.data() == nullptr || value.empty()) return false;
  if (FractionOfDecimal(p.boundary, text.data(), value.data())) return false;
  const Validation v = rules.validator(p.rule_index)(value);
  if (!v.valid) return false;
  f->rule_index = p.rule_index;
  f->start = text_base + static_cast<uint64_t>(value.data() - text.data());
  f->end = f->start + value.size();
  f->detail = v.detail;
  SetDisplayForm(value, f);
  return true;
}

void ConfirmCandidates(const CompiledRuleset& rules, const std::vector<Candidate>& candidates,
                       const uint8_t* window, size_t window_size, uint64_t window_base,
                       Findings* out, const Fingerprinter* fingerprinter) {
  const size_t first_new = out->size();
  // The whole window is RE2's text, so '^' only matches where the window
  // starts; callers make sure that is the start of the stream or lies
  // before any candidate.
  const re2::StringPiece text(reinterpret_cast<const char*>(window), window_size);
  std::array<re2::StringPiece, kMaxGroups> groups;
  for (const Candidate& c : candidates) {
    if (c.to > window_base + window_size || c.to <= window_base || c.from >= c.to) continue;
    const CompiledPattern& p = rules.patterns()[c.pattern];
    if (p.value_group >= static_cast<int>(kMaxGroups)) continue;
    const int ngroups = p.value_group + 1;
    const size_t to = c.to - window_base;
    // The lead context is one byte, or none at the stream's start: the body
    // begins at from + 1 (or from).
    const size_t lead = p.boundary == Boundary::kNone ? 0 : 1;
    const ValidatorFn validate = rules.validator(p.rule_index);
    // Whether a value of this pattern may begin at `at`: its first byte can
    // begin the body and, when the body is the value, one of the few spans
    // it can be (up to the end, less a trailing context of 0 to 2 bytes)
    // passes the validator. RE2 would find one of those spans as the
    // value, so a start none of them passes is not worth its call (on
    // digit-dense text most candidates are numbers that fail the check).
    const size_t max_trail = p.boundary == Boundary::kNone ? 0 : kMaxTrailBytes;
    auto can_begin = [&](size_t at) {
      if (at >= to || window[at] < p.first_lo || window[at] > p.first_hi) return false;
      if (!p.value_is_body) return true;
      // A one-byte context first: it is the common one.
      static_assert(kMaxTrailBytes == 2, "try every trailing context length");
      const char* v = reinterpret_cast<const char*>(window + at);
      for (const size_t trail : {size_t{1}, size_t{0}, size_t{2}}) {
        if (trail > max_trail || at + trail >= to) continue;
        if (validate({v, to - trail - at}).valid) return true;
      }
      return false;
    };
    // Hyperscan reports, for each end, only the leftmost start. A shorter
    // match with the same end may be the valid one ("1234 4111 1111 1111
    // 1111" hides a card behind an invalid 20-digit span), so every start in
    // the span is tried.
    for (size_t from = c.from > window_base ? c.from - window_base : 0; from < to; ++from) {
      // With a boundary, a match begins with its lead byte (never a letter
      // or digit) or at the very start of the stream: other starts cannot
      // match, and skipping them keeps digit runs cheap.
      if (p.boundary != Boundary::kNone && (window_base + from) != 0 &&
          IsAsciiAlnum(window[from])) {
        continue;
      }
      if (!can_begin(from + lead) && !(lead == 1 && window_base + from == 0 && can_begin(from))) {
        continue;
      }
      if (!p.confirm->Match(text, from, to, RE2::ANCHOR_BOTH, groups.data(), ngroups)) continue;
      const re2::StringPiece& value = groups[static_cast<size_t>(p.value_group)];
      Finding f;
      if (!FindingOf(rules, p, {text.data(), text.size()}, {value.data(), value.size()},
                     window_base, &f)) {
        continue;
      }
      if (fingerprinter != nullptr) {
        const std::string hex = fingerprinter->Of({value.data(), value.size()});
        if (hex.size() == f.fingerprint.size()) {
          std::copy(hex.begin(), hex.end(), f.fingerprint.begin());
          f.has_fingerprint = true;
        }
      }
      out->push_back(f);
    }
  }
  // Several patterns, starts or trailing contexts may confirm the same value.
  std::sort(out->begin() + static_cast<long>(first_new), out->end());
  out->erase(std::unique(out->begin() + static_cast<long>(first_new), out->end()), out->end());
}

}  // namespace dlp
