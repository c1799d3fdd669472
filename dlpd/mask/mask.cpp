#include "dlpd/mask/mask.h"

#include <algorithm>

#include "rules/compiled_ruleset.h"
#include "rules/value_text.h"

namespace dlp {
namespace {
// Masks the digit token at p[i] (ValueTokenLength n): a plain digit becomes
// 'X', an escaped one "%58" (an escaped 'X'), so the length stays and the
// URL stays valid.
void MaskDigitToken(uint8_t* p, size_t i, size_t n) {
  if (n == 1) {
    p[i] = kMaskChar;
  } else {
    p[i + 1] = '5';
    p[i + 2] = '8';
  }
}
}  // namespace

void MaskValue(MaskStyle style, uint8_t* p, size_t len) {
  switch (style) {
    case MaskStyle::kAll:
      std::fill(p, p + len, static_cast<uint8_t>(kMaskChar));
      return;
    case MaskStyle::kDigits: {
      // The value's digits; a URL escape (%20) stays, so the URL stays valid.
      const std::string_view v(reinterpret_cast<const char*>(p), len);
      for (size_t i = 0; i < len;) {
        const size_t n = ValueTokenLength(v, i);
        if (IsDigitToken(v, i, n)) MaskDigitToken(p, i, n);
        i += n;
      }
      return;
    }
    case MaskStyle::kKeepLast4: {
      // Which digits are the value's, front to back; then all but the last four go.
      size_t total = 0;
      ForEachValueToken({reinterpret_cast<const char*>(p), len},
                        [&](std::string_view, bool digit) { total += digit ? 1 : 0; });
      size_t seen = 0;
      const std::string_view v(reinterpret_cast<const char*>(p), len);
      for (size_t i = 0; i < len;) {
        const size_t n = ValueTokenLength(v, i);
        if (IsDigitToken(v, i, n)) {
          if (seen + 4 < total) MaskDigitToken(p, i, n);
          ++seen;
        }
        i += n;
      }
      return;
    }
  }
}

size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    uint8_t* buf, size_t len, uint64_t base) {
  size_t touched = 0;
  for (const Finding* fp = findings; fp != findings + count; ++fp) {
    const Finding& f = *fp;
    if (f.action != PolicyAction::kMask) continue;  // alert, pass: unchanged
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

std::string DisplayForm(std::string_view value) {
  std::string out(value);
  MaskValue(MaskStyle::kKeepLast4, reinterpret_cast<uint8_t*>(out.data()), out.size());
  return out;
}

void SetDisplayForm(std::string_view value, Finding* f) {
  std::string d = DisplayForm(value);
  const size_t cap = f->display.size();
  size_t n = 0;
  if (d.size() > cap) {
    for (char c : std::string_view("...")) f->display[n++] = c;
    d.erase(0, d.size() - (cap - n));
  }
  for (char c : d) f->display[n++] = c;
  f->display_len = static_cast<uint8_t>(n);
}

}  // namespace dlp
