#include "dlpd/inspect/scan_context.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>

#include "dlpd/inspect/digit_gate.h"
#include "dlpd/inspect/display_form.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/fingerprint.h"
#include "dlpd/inspect/value_context.h"
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
  // CSV headers follow blank lines; the gate notes them as it reads.
  ctx->gate_.set_track_blank_lines(rules->columns());
  // Hyperscan scans regions; shaped patterns walk spans.
  ctx->gate_.set_keep_regions(rules->gated_db() != nullptr);
  ctx->gate_.set_keep_spans(!rules->shaped().empty());
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

namespace {

// A value's groups of digits and the separator between them.
struct Groups {
  std::array<uint8_t, 8> widths{};
  size_t n = 0;
  std::string_view sep;
};

// The mask of a value's `size` bytes (bit i: byte i), size <= 64.
uint64_t BytesMask(size_t size) {
  return size >= 64 ? ~uint64_t{0} : (uint64_t{1} << size) - 1;
}

// A value's bytes with 64 readable from its first: in the text, when the
// text goes on that far past it (to `readable_end`); else in `copy`, with
// zeros after it (near the end of the text: rare).
// REQUIRES: v.size() <= 64.
const uint8_t* Padded(std::string_view v, const char* readable_end, std::array<uint8_t, 64>* copy) {
  if (readable_end - v.data() >= 64) return reinterpret_cast<const uint8_t*>(v.data());
  copy->fill(0);
  std::copy(v.begin(), v.end(), copy->begin());
  return copy->data();
}

// A value without escapes (nearly every value): the mask of its digit
// bytes, read 64 bytes at once (a loop over its bytes ended at a length
// that changes from value to value, and mispredicted there). False for
// one with escapes, read token by token. `padded`: its `size` bytes, and
// 64 readable from there.
bool PlainDigitMask(const uint8_t* padded, size_t size, uint64_t* digits) {
  uint64_t d = 0;
  uint64_t percent = 0;
  ReadDigitAndByteMask(padded, '%', &d, &percent);
  const uint64_t all = BytesMask(size);
  *digits = d & all;
  return (percent & all) == 0;
}

// False when the value has more groups than a layout can name. `plain`:
// the value's digit mask when PlainDigitMask gave one.
bool GroupsOf(std::string_view value, const uint64_t* plain, Groups* g) {
  if (plain != nullptr) {
    uint64_t d = *plain;
    const uint64_t others = ~d & BytesMask(value.size());
    if (others != 0) g->sep = value.substr(static_cast<size_t>(__builtin_ctzll(others)), 1);
    while (d != 0) {
      const auto from = static_cast<unsigned>(__builtin_ctzll(d));
      const uint64_t after = ~(d >> from);  // its lowest bit: the group's end
      const unsigned width = after == 0 ? 64 - from : static_cast<unsigned>(__builtin_ctzll(after));
      if (g->n == g->widths.size()) return false;
      g->widths[g->n++] = static_cast<uint8_t>(std::min(width, 255U));
      d = from + width >= 64 ? 0 : d & (~uint64_t{0} << (from + width));
    }
    return true;
  }
  // The group being read is counted in a register: counted in place, each
  // digit waited for the store of the one before.
  unsigned run = 0;
  bool ok = true;
  auto close = [&] {
    if (run == 0) return;
    if (g->n == g->widths.size()) {
      ok = false;
    } else {
      g->widths[g->n++] = static_cast<uint8_t>(std::min(run, 255U));
    }
    run = 0;
  };
  ForEachValueToken(value, [&](std::string_view t, bool digit) {
    if (digit) {
      ++run;
      return;
    }
    close();
    if (g->sep.empty()) g->sep = t;
  });
  close();
  return ok;
}

bool InLayouts(const Rule& rule, const Groups& g) {
  for (const auto& layout : rule.layouts) {
    if (layout.size() == g.n && std::equal(layout.begin(), layout.end(), g.widths.begin())) {
      return true;
    }
  }
  return false;
}

bool IsAlnum(char c) {
  return IsAsciiAlnum(static_cast<uint8_t>(c));
}

// Whether `s` begins with a row shaped as `g` (the same widths, the same
// separator, nothing more of the run after it): kYes, kNo, or kUndecided
// when `s` ends first (and `open`: more may follow). `*len`: its bytes.
ValueVerdict RowShaped(std::string_view s, const Groups& g, bool open, size_t* len) {
  size_t i = 0;
  for (size_t k = 0; k < g.n; ++k) {
    if (k > 0) {
      if (s.size() - i < g.sep.size()) return open ? ValueVerdict::kUndecided : ValueVerdict::kNo;
      if (s.substr(i, g.sep.size()) != g.sep) return ValueVerdict::kNo;
      i += g.sep.size();
    }
    for (size_t w = 0; w < g.widths[k]; ++w, ++i) {
      if (i == s.size()) return open ? ValueVerdict::kUndecided : ValueVerdict::kNo;
      if (!IsAsciiDigit(s[i])) return ValueVerdict::kNo;
    }
  }
  *len = i;
  if (i == s.size()) return open ? ValueVerdict::kUndecided : ValueVerdict::kYes;
  return IsAlnum(s[i]) ? ValueVerdict::kNo : ValueVerdict::kYes;
}

// Whether a value that stands at the start of its line is one row of a
// list or table of numbers of its shape that are no values: of the rows of
// the same shape (widths and separator) right around it, up to two before
// and two after, at least two are rejected by the validator, and more than
// are not. A list of cards, even with a mistyped one, stays a list of
// values. Undecided when the text ends before the rows after it tell, and
// more may follow.
ValueVerdict InList(const Validator& valid, std::string_view text, size_t at, size_t end,
                    const Groups& g, bool open) {
  if (at > 0 && text[at - 1] != '\n') return ValueVerdict::kNo;
  int rejected = 0;
  int values = 0;
  size_t line_end = at;  // the '\n' ending the line before is at line_end - 1
  for (int k = 0; k < 2 && line_end > 0; ++k) {
    size_t e = line_end - 1;
    if (e > 0 && text[e - 1] == '\r') --e;
    size_t b = e;
    while (b > 0 && text[b - 1] != '\n' && e - b < 40) --b;
    size_t len = 0;
    if ((b > 0 && text[b - 1] != '\n') ||
        RowShaped(text.substr(b, e - b), g, false, &len) != ValueVerdict::kYes || b + len != e) {
      break;
    }
    (valid(text.substr(b, len)).valid ? values : rejected) += 1;
    line_end = b;
  }
  size_t p = end;
  for (int k = 0; k < 2; ++k) {
    size_t i = p;
    if (i < text.size() && text[i] == '\r') ++i;
    if (i == text.size()) {
      if (open) return ValueVerdict::kUndecided;
      break;
    }
    if (text[i] != '\n') break;
    size_t len = 0;
    const ValueVerdict row = RowShaped(text.substr(i + 1), g, open, &len);
    if (row == ValueVerdict::kUndecided) return row;
    if (row == ValueVerdict::kNo) break;
    (valid(text.substr(i + 1, len)).valid ? values : rejected) += 1;
    p = i + 1 + len;
  }
  return rejected >= 2 && rejected > values ? ValueVerdict::kYes : ValueVerdict::kNo;
}

// Whether a grouped value is one row of a table of numbers rather than a
// value: its run of groups goes on, before or after it, with a group as
// wide as its own neighbour (an IBAN's "DE89" counts: letters and digits);
// or it stands alone on its line and the line before or after it is a row
// of the same shape that is no value itself (a list of cards is a list of
// values; a table of 4-digit numbers is not). Undecided when the text ends
// before the bytes that tell, and more may follow (`open`).
// `keyword()`: whether the value has its context (asked only when an
// expiry follows it).
template <typename Keyword>
ValueVerdict InTable(const Validator& valid, std::string_view text, size_t at, size_t end,
                     const Groups& g, bool open, Keyword&& keyword) {
  const size_t sep = g.sep.size();
  // Whether the separator stands at text[i], i + sep <= text.size(): one
  // byte compared as a byte (a call to memcmp per look cost more than the
  // look).
  auto sep_at = [&](size_t i) {
    return sep == 1 ? text[i] == g.sep[0] : text.compare(i, sep, g.sep) == 0;
  };
  // Punctuation other than the value's separator: the group it touches
  // belongs to another token (a date, 2026-11-22; a phone number), not to
  // a run of groups.
  auto other_token = [&](size_t i) {
    const char c = text[i];
    return (c == '-' || c == '/' || c == '.' || c == ':' || c == '+' || c == ' ') &&
           g.sep.find(c) == std::string_view::npos;
  };
  // A group of letters and digits as wide as `width`, its first byte at
  // [from] going forward or its last at [from - 1] going back.
  auto group_of = [&](size_t from, bool forward, size_t width) {
    size_t w = 0;
    bool digit = false;
    if (forward) {
      while (from + w < text.size() && IsAlnum(text[from + w]) && w <= width) {
        digit = digit || IsAsciiDigit(text[from + w]);
        ++w;
      }
      if (from + w < text.size() && other_token(from + w)) return false;
    } else {
      while (w < from && IsAlnum(text[from - w - 1]) && w <= width) {
        digit = digit || IsAsciiDigit(text[from - w - 1]);
        ++w;
      }
      if (w < from && other_token(from - w - 1)) return false;
    }
    return w == width && digit;
  };
  if (at > sep && sep_at(at - sep) && group_of(at - sep, false, g.widths[0])) {
    return ValueVerdict::kYes;
  }
  // Two groups of digits or more before it, or after it, whatever their
  // widths: a card stands alone, or next to one number (a quantity, a CVV).
  size_t p = at;
  for (int before = 0; p > sep && sep_at(p - sep) && IsAsciiDigit(text[p - sep - 1]);) {
    size_t q = p - sep;
    while (q > 0 && IsAsciiDigit(text[q - 1]) && p - sep - q < 20) --q;
    if (q > 0 && (IsAlnum(text[q - 1]) || other_token(q - 1))) break;
    if (++before == 2) return ValueVerdict::kYes;
    p = q;
  }
  // With a card keyword near: an expiry right after it (MMYY, month
  // 01-12), perhaps a CVV of three or four digits after that, and the run
  // ends: a card's line, not a table's row. Without one, a table's row:
  // one 4-digit group in eight reads as a month.
  if (text.size() - end >= sep + 4 && sep_at(end)) {
    const std::string_view mmyy = text.substr(end + sep, 4);
    const bool digits = IsAsciiDigit(mmyy[0]) && IsAsciiDigit(mmyy[1]) && IsAsciiDigit(mmyy[2]) &&
                        IsAsciiDigit(mmyy[3]);
    const int month = digits ? (mmyy[0] - '0') * 10 + (mmyy[1] - '0') : 0;
    // Whether the run of groups ends at `q`: undecided when the text does.
    auto run_ends = [&](size_t q) {
      if (q == text.size()) return open ? ValueVerdict::kUndecided : ValueVerdict::kYes;
      if (IsAlnum(text[q])) return ValueVerdict::kNo;
      if (text.size() - q < sep + 1) {
        return open && g.sep.compare(0, text.size() - q, text, q, text.size() - q) == 0
                   ? ValueVerdict::kUndecided
                   : ValueVerdict::kYes;
      }
      return sep_at(q) && IsAsciiDigit(text[q + sep]) ? ValueVerdict::kNo : ValueVerdict::kYes;
    };
    if (digits && month >= 1 && month <= 12 && keyword()) {
      const size_t q = end + sep + 4;
      const ValueVerdict alone = run_ends(q);
      if (alone == ValueVerdict::kUndecided) return alone;
      if (alone == ValueVerdict::kYes) return ValueVerdict::kNo;
      if (q < text.size() && !IsAlnum(text[q])) {
        // A CVV?
        size_t r = q + sep;
        while (r < text.size() && IsAsciiDigit(text[r]) && r - q - sep < 5) ++r;
        const size_t w = r - q - sep;
        if (r == text.size() && open && w <= 4) return ValueVerdict::kUndecided;
        if (w == 3 || w == 4) {
          const ValueVerdict cvv = run_ends(r);
          if (cvv == ValueVerdict::kUndecided) return cvv;
          if (cvv == ValueVerdict::kYes) return ValueVerdict::kNo;
        }
      }
    }
  }
  p = end;
  for (int after = 0; p + sep < text.size() && sep_at(p) && IsAsciiDigit(text[p + sep]);) {
    size_t q = p + sep;
    while (q < text.size() && IsAsciiDigit(text[q]) && q - p < 21) ++q;
    if (q == text.size()) {
      if (open) return ValueVerdict::kUndecided;
      break;
    }
    if (IsAlnum(text[q]) || other_token(q)) break;
    if (++after == 2) return ValueVerdict::kYes;
    p = q;
  }
  // One group after it, and the text ends where a second may begin.
  if (open && p > end && p < text.size() && text.size() - p <= sep &&
      g.sep.compare(0, text.size() - p, text, p, text.size() - p) == 0) {
    return ValueVerdict::kUndecided;
  }
  const std::string_view after = text.substr(end);
  if (after.empty()) return open ? ValueVerdict::kUndecided : ValueVerdict::kNo;
  if (after[0] == '\r' || after[0] == '\n') return InList(valid, text, at, end, g, open);
  if (after.size() < sep) {
    // The separator (or the byte after the value) is still to come.
    return open && g.sep.substr(0, after.size()) == after ? ValueVerdict::kUndecided
                                                          : ValueVerdict::kNo;
  }
  if (!sep_at(end)) return ValueVerdict::kNo;
  const unsigned last = g.widths[g.n - 1];
  size_t w = 0;
  while (sep + w < after.size() && IsAlnum(after[sep + w]) && w <= last) ++w;
  if (w > last) return ValueVerdict::kNo;  // wider: no row of these
  if (sep + w == after.size() && open) return ValueVerdict::kUndecided;
  return w == last && group_of(end + sep, true, last) ? ValueVerdict::kYes : ValueVerdict::kNo;
}

bool KnownExample(const Rule& rule, std::string_view value, const uint64_t* plain) {
  if (rule.known_examples.empty()) return false;
  std::array<char, 64> d{};
  size_t n = 0;
  if (plain != nullptr) {
    // Each byte written, the digits kept: no branch per byte.
    for (const char c : value) {
      d[n] = c;
      n += IsAsciiDigit(c) ? 1 : 0;
    }
  } else {
    ForEachValueToken(value, [&](std::string_view t, bool digit) {
      if (digit && n < d.size()) d[n++] = TokenDigit(t);
    });
  }
  const std::string_view digits(d.data(), n);
  return std::binary_search(rule.known_examples.begin(), rule.known_examples.end(), digits);
}

}  // namespace

ValueVerdict JudgeValue(const CompiledRuleset& rules, const CompiledPattern& p,
                        std::string_view text, std::string_view value, uint64_t text_base,
                        const Surroundings& around, Finding* f, const Validation* validated) {
  if (value.data() == nullptr || value.empty()) return ValueVerdict::kNo;
  if (FractionOfDecimal(p.boundary, text.data(), value.data())) return ValueVerdict::kNo;
  const size_t at = static_cast<size_t>(value.data() - text.data());
  ValueSurroundings surroundings(rules, p.rule_index, text, at, text_base, around.columns,
                                 around.keyword_memo);
  // A pattern that counts only with a keyword: the bytes before the value
  // decide that, first (a bare nine-digit number is an SSN only so, and an
  // API body has thousands of them under other labels).
  if (p.needs_context && !surroundings.HasContext()) {
    return ValueVerdict::kNo;
  }
  const Validation v = validated != nullptr ? *validated : rules.validator(p.rule_index)(value);
  if (!v.valid) return ValueVerdict::kNo;
  const Rule& rule = rules.rule(p.rule_index);
  // Its digit bytes, read once for its groups, the examples and the
  // display form (null: escaped, or longer than a mask holds).
  std::array<uint8_t, 64> copy;
  const uint8_t* padded =
      value.size() <= 64 ? Padded(value, text.data() + text.size(), &copy) : nullptr;
  uint64_t digit_mask = 0;
  const uint64_t* plain = padded != nullptr && PlainDigitMask(padded, value.size(), &digit_mask)
                              ? &digit_mask
                              : nullptr;
  // Whether a keyword must still be found (the pattern's own need is met).
  bool needs_context = !p.needs_context && v.needs_context;
  if (!rule.layouts.empty()) {
    Groups g;
    if (!GroupsOf(value, plain, &g)) return ValueVerdict::kNo;
    // The text a look past the value may read (a sentinel is none of it),
    // and whether more may follow it.
    const std::string_view real =
        around.real_until - text_base < text.size()
            ? text.substr(0, static_cast<size_t>(around.real_until - text_base))
            : text;
    const bool open = !around.ends_stream || real.size() != text.size();
    const Validator& valid = rules.validator(p.rule_index);
    if (g.n == 1) {
      // Alone on its line, between lines of as many digits that are no
      // values: a list of other numbers (tracking numbers, ids).
      const ValueVerdict list = InList(valid, real, at, at + value.size(), g, open);
      if (list != ValueVerdict::kNo) return list == ValueVerdict::kYes ? ValueVerdict::kNo : list;
    } else {
      const ValueVerdict table = InTable(valid, real, at, at + value.size(), g, open,
                                         [&] { return surroundings.HasContext(); });
      if (table != ValueVerdict::kNo) {
        return table == ValueVerdict::kYes ? ValueVerdict::kNo : table;
      }
      // Printed as issuers print it: that says "card" as a keyword would
      // (a 19-digit number in 4-4-4-4-3); printed otherwise, it needs one.
      needs_context = !p.needs_context && !InLayouts(rule, g);
    }
  }
  if (needs_context && !surroundings.HasContext()) return ValueVerdict::kNo;
  if (surroundings.LabelExcludes()) return ValueVerdict::kNo;
  f->rule_index = p.rule_index;
  f->start = text_base + at;
  f->end = f->start + value.size();
  f->detail = KnownExample(rule, value, plain) ? kDetailExample : v.detail;
  if (plain != nullptr && value.size() <= f->display.size()) {
    SetPlainDisplayForm(padded, value.size(), digit_mask, f);
  } else {
    SetDisplayForm(value, f);
  }
  return ValueVerdict::kYes;
}

void ConfirmCandidates(const CompiledRuleset& rules, const std::vector<Candidate>& candidates,
                       const uint8_t* window, size_t window_size, uint64_t window_base,
                       Findings* out, const Fingerprinter* fingerprinter,
                       const Surroundings& around, std::vector<Candidate>* undecided) {
  const size_t first_new = out->size();
  // The whole window is RE2's text, so '^' only matches where the window
  // starts; callers make sure that is the start of the stream or lies
  // before any candidate.
  const re2::StringPiece text(reinterpret_cast<const char*>(window), window_size);
  std::array<re2::StringPiece, kMaxGroups> groups;
  auto judged = [&](const CompiledPattern& p, std::string_view value,
                    const Candidate& undecided_as) {
    Finding f;
    const ValueVerdict verdict =
        JudgeValue(rules, p, {text.data(), text.size()}, value, window_base, around, &f,
                   undecided_as.known ? &undecided_as.validation : nullptr);
    if (verdict == ValueVerdict::kUndecided && undecided != nullptr) {
      undecided->push_back(undecided_as);
    }
    if (verdict != ValueVerdict::kYes) return;
    if (fingerprinter != nullptr) {
      const std::string hex = fingerprinter->Of(value);
      if (hex.size() == f.fingerprint.size()) {
        std::copy(hex.begin(), hex.end(), f.fingerprint.begin());
        f.has_fingerprint = true;
      }
    }
    out->push_back(f);
  };
  for (const Candidate& c : candidates) {
    if (c.to > window_base + window_size || c.to <= window_base || c.from >= c.to) continue;
    const CompiledPattern& p = rules.patterns()[c.pattern];
    if (c.known) {
      // Its walk read these bytes already; what it could not know is
      // whether the text goes on past the match (a sentinel, or the
      // next piece), and a match that ends with the text needs it not to.
      if (c.from < window_base || (c.ends_text && c.to != window_base + window_size)) continue;
      const size_t at = static_cast<size_t>(c.from - window_base) + c.lead;
      const size_t end = static_cast<size_t>(c.to - window_base) - c.trail;
      if (at >= end) continue;
      judged(p, {text.data() + at, end - at}, c);
      continue;
    }
    if (p.value_group >= static_cast<int>(kMaxGroups)) continue;
    const int ngroups = p.value_group + 1;
    const size_t to = c.to - window_base;
    // The lead context is one byte, or none at the stream's start: the body
    // begins at from + 1 (or from).
    const size_t lead = p.boundary == Boundary::kNone ? 0 : 1;
    const Validator& validate = rules.validator(p.rule_index);
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
    const size_t first = c.from > window_base ? c.from - window_base : 0;
    const size_t last = c.exact ? std::min(first + 1, to) : to;
    for (size_t from = first; from < last; ++from) {
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
      judged(p, {value.data(), value.size()}, {c.pattern, window_base + from, c.to, true});
    }
  }
  // Several patterns, starts or trailing contexts may confirm the same value.
  // Mostly in order already (the walk reads the text front to back):
  // sorting 160-byte findings that are costs more than looking.
  if (!std::is_sorted(out->begin() + static_cast<long>(first_new), out->end())) {
    std::sort(out->begin() + static_cast<long>(first_new), out->end());
  }
  out->erase(std::unique(out->begin() + static_cast<long>(first_new), out->end()), out->end());
}

}  // namespace dlp
