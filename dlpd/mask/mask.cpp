#include "dlpd/mask/mask.h"

#include <algorithm>

#include "dlpd/http/char_decoder.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/wire_findings.h"
#include "rules/compiled_ruleset.h"

namespace dlp {

void MaskValue(MaskStyle style, uint8_t* p, size_t len) {
  switch (style) {
    case MaskStyle::kAll:
      std::fill(p, p + len, static_cast<uint8_t>(kMaskChar));
      return;
    case MaskStyle::kDigits:
      // The value's digits; a URL escape (%20) stays, so the URL stays valid.
      MaskDigits(p, len, 0);
      return;
    case MaskStyle::kKeepLast4:
      MaskDigits(p, len, 4);
      return;
  }
}

size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    uint8_t* buf, size_t len, uint64_t base) {
  size_t touched = 0;
  for (const Finding* fp = findings; fp != findings + count; ++fp) {
    const Finding& f = *fp;
    if (f.action != PolicyAction::kMask) continue;  // alert, pass: unchanged
    if (f.base64) continue;                         // its groups' edits mask it
    if (f.end <= base || f.start >= base + len) continue;
    // A value cut by the buffer's edge: keep-last-4 needs the whole value to
    // know which digits are the last four, so the part here is fully masked.
    MaskStyle style = rules.rule(f.rule_index).mask;
    const bool whole = f.start >= base && f.end <= base + len;
    if (!whole && style == MaskStyle::kKeepLast4) style = MaskStyle::kDigits;
    uint64_t s = std::max(f.start, base);
    uint64_t e = std::min(f.end, base + len);
    MaskValue(style, buf + (s - base), e - s);
    ++touched;
  }
  return touched;
}

void MaskWire(const WireUnits& units, uint64_t start, uint64_t end, bool all_bytes,
              size_t keep_last, uint8_t* buf, size_t len, uint64_t base) {
  const uint64_t from = std::max(start, base);
  const uint64_t to = std::min(end, base + len);
  if (from >= to) return;
  auto unit = std::lower_bound(units.begin(), units.end(), start,
                               [](const WireUnit& u, uint64_t v) { return u.off + u.len <= v; });
  // Which digits go: all but the last keep_last, counted over the span.
  size_t total = 0;
  if (keep_last > 0) {
    auto u = unit;
    for (uint64_t w = start; w < end; ++w) {
      while (u != units.end() && u->off + u->len <= w) ++u;
      const bool in_unit = u != units.end() && u->off <= w;
      if (in_unit ? (u->digit && !u->framing && w == u->off && u->unit_pos == 0)
                  : (w >= base && w < base + len && buf[w - base] >= '0' && buf[w - base] <= '9')) {
        ++total;
      }
    }
  }
  size_t seen = 0;
  uint8_t rep[kMaxEncodedChar];
  bool keep[kMaxEncodedChar];
  auto is_digit = [](uint8_t c) { return c >= '0' && c <= '9'; };
  for (uint64_t w = keep_last > 0 ? start : from; w < to; ++w) {
    while (unit != units.end() && unit->off + unit->len <= w) ++unit;
    const bool in_unit = unit != units.end() && unit->off <= w;
    if (in_unit && unit->framing) continue;  // never framing
    const bool digit = in_unit ? unit->digit : is_digit(buf[w - base]);
    const bool first_byte = !in_unit || (w == unit->off && unit->unit_pos == 0);
    if (digit && first_byte) ++seen;
    if (w < from) continue;
    const bool masked = all_bytes || (digit && (keep_last == 0 || seen + keep_last <= total));
    if (!masked) continue;
    if (!in_unit) {
      buf[w - base] = static_cast<uint8_t>(kMaskChar);
      continue;
    }
    if (!unit->digit) {
      buf[w - base] = static_cast<uint8_t>(kMaskChar);  // all_bytes: a separator too
      continue;
    }
    MaskedEncoding(unit->encoding, unit->unit_len, unit->fullwidth, unit->semicolon, rep, keep);
    const size_t at = unit->unit_pos + static_cast<size_t>(w - unit->off);
    if (at < unit->unit_len && !keep[at]) buf[w - base] = rep[at];
  }
}

size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    const WireUnits& units, uint8_t* buf, size_t len, uint64_t base) {
  size_t touched = 0;
  for (const Finding* fp = findings; fp != findings + count; ++fp) {
    const Finding& f = *fp;
    if (f.action != PolicyAction::kMask) continue;  // alert, pass: unchanged
    if (f.base64) continue;                         // its groups' edits mask it
    if (f.end <= base || f.start >= base + len) continue;
    const MaskStyle style = rules.rule(f.rule_index).mask;
    // keep-last-4 needs the whole value to know which digits are the last
    // four: a value cut by the buffer's edge is masked whole here.
    const bool whole = f.start >= base && f.end <= base + len;
    const size_t keep_last = style == MaskStyle::kKeepLast4 && whole ? 4 : 0;
    MaskWire(units, f.start, f.end, style == MaskStyle::kAll, keep_last, buf, len, base);
    ++touched;
  }
  return touched;
}

size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    const WireUnits& units, const WireXors& xors, uint8_t* buf, size_t len,
                    uint64_t base) {
  const bool unmasked = !xors.empty() && ApplyXors(xors, buf, len, base);
  const size_t touched = MaskFindings(rules, findings, count, units, buf, len, base);
  if (unmasked) ApplyXors(xors, buf, len, base);  // masked again, with the same keys
  return touched;
}

void MaskValuesIn(ScanContext& ctx, std::string* s) {
  Findings found;
  WireUnits units;
  if (ScanDecodedBlock(ctx, reinterpret_cast<const uint8_t*>(s->data()), s->size(), &found,
                       &units)) {
    MaskFindings(ctx.rules(), found.data(), found.size(), units,
                 reinterpret_cast<uint8_t*>(s->data()), s->size(), 0);
  }
}

}  // namespace dlp
