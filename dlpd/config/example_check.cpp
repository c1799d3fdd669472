#include "dlpd/config/example_check.h"

#include <algorithm>

#include "dlpd/config/shape_check.h"
#include "dlpd/http/stream_normalizer.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/display_form.h"
#include "dlpd/inspect/reference_scanner.h"
#include "dlpd/inspect/wire_findings.h"
#include "dlpd/mask/mask.h"
#include "rules/rule_examples.h"

namespace dlp {
namespace {

const uint8_t* Bytes(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

bool HasRule(const Findings& f, uint32_t rule) {
  return std::any_of(f.begin(), f.end(), [&](const Finding& x) { return x.rule_index == rule; });
}

// Feeds the example's bytes `wire` through a normalizer (the text the
// application reads) and the stream scanner in two pieces cut at every
// position; returns the first cut at which the findings (on the normalized
// text) differ from `expected`, or -1.
long FirstStreamDisagreement(ScanContext& ctx, const std::string& wire, const Findings& expected) {
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    StreamNormalizer normalizer(/*http=*/false);
    Findings got;
    const bool ok = ScanDecodedPieces(ctx, Bytes(wire), wire.size(), {cut}, &normalizer, &got).ok();
    std::sort(got.begin(), got.end());
    if (!ok || got != expected) return static_cast<long>(cut);
  }
  return -1;
}

// The example as its author wrote it in the rule file (a YAML string in
// double quotes): escapes as written (not decoded), other bytes escaped;
// but its digits masked save the last four, as a display form masks a
// value: a check's output never shows a full value, even an example's.
std::string AsWritten(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  size_t digits = 0;
  for (const char ch : text) digits += ch >= '0' && ch <= '9';
  std::string out = "\"";
  for (const char ch : text) {
    if (ch >= '0' && ch <= '9' && digits-- > 4) {
      out += 'X';
      continue;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

ExampleReport RunRuleExamples(const std::shared_ptr<const CompiledRuleset>& rules) {
  ExampleReport report;
  auto ctx_or = ScanContext::Create(rules);
  if (!ctx_or) {
    report.failures.push_back(ctx_or.error().message);
    return report;
  }
  ScanContext& ctx = **ctx_or;
  // A shape is read from its pattern; it must find what the expression does.
  for (const unsigned index : rules->shaped()) {
    const CompiledPattern& p = rules->patterns()[index];
    if (std::string diff = CheckShape(*rules, index); !diff.empty()) {
      const Rule& rule = rules->rule(p.rule_index);
      // Patterns are compiled in their rule's order.
      size_t nth = 0;
      for (unsigned i = 0; i < index; ++i) nth += rules->patterns()[i].rule_index == p.rule_index;
      const PatternSpec& spec = rule.patterns[nth];
      report.failures.push_back(rule.file + ":" + std::to_string(spec.line) + ": rule '" + rule.id +
                                "': pattern '" + spec.regex + "' read as digit groups: " + diff);
    }
  }
  for (const ExampleRef& ref : ExamplesOf(rules->rule_set())) {
    const uint32_t ri = ref.rule_index;
    const Rule& rule = *ref.rule;
    const RuleExample& ex = *ref.example;
    const bool want_match = ref.want_match;
    const std::string where = ExampleWhere(ref);
    ++report.examples_run;
    // Every failure names the example as its author wrote it.
    const size_t failures_before = report.failures.size();
    struct Shown {
      ExampleReport& report;
      size_t from;
      const std::string text;
      ~Shown() {
        for (size_t i = from; i < report.failures.size(); ++i) {
          report.failures[i] += " in " + text;
        }
      }
    } shown{report, failures_before, AsWritten(ex.text)};
    // An example is written as it goes on the wire ('%35', '&#53;'); the
    // rules read it as the application does, decoded.
    StreamNormalizer normalizer(/*http=*/false);
    std::vector<uint8_t> decoded;
    normalizer.Feed(Bytes(ex.text), ex.text.size(), 0, &decoded);
    normalizer.Finish(&decoded);
    const std::string text(decoded.begin(), decoded.end());
    Findings found;
    if (Status st = ScanBlock(ctx, decoded.data(), decoded.size(), &found); !st) {
      report.failures.push_back(where + st.error().message);
      continue;
    }
    if (want_match && !HasRule(found, ri)) {
      report.failures.push_back(where + "match example did not match");
    }
    if (!want_match) {
      for (const Finding& f : found) {
        if (f.rule_index != ri) continue;
        report.failures.push_back(
            where + "no_match example matched at offset " + std::to_string(f.start) + " (" +
            DisplayForm(std::string_view(text).substr(f.start, f.end - f.start)) + ")");
      }
    }
    if (rule.min_digits > 0) {
      // The gate skips text without min_digits digits close together (at
      // most digit_gap bytes apart, when given); a promise the patterns do
      // not keep loses matches. The RE2-only reference scanner has no gate.
      for (const Finding& f : ReferenceScan(*rules, text)) {
        if (f.rule_index != ri || std::binary_search(found.begin(), found.end(), f)) continue;
        report.failures.push_back(
            where + "a match with fewer than min_digits (" + std::to_string(rule.min_digits) +
            ") digits" +
            (rule.digit_gap
                 ? " at most digit_gap (" + std::to_string(*rule.digit_gap) + ") bytes apart"
                 : std::string()) +
            " is skipped: " + DisplayForm(std::string_view(text).substr(f.start, f.end - f.start)));
      }
    }
    if (ex.masked) {
      std::string out = ex.text;
      Findings on_wire = found;
      WireUnits units;
      PlaceOnWire(normalizer.map(), &on_wire, &units);
      MaskFindings(*rules, on_wire.data(), on_wire.size(), units,
                   reinterpret_cast<uint8_t*>(out.data()), out.size(), 0);
      if (out != *ex.masked) {
        // Both strings are already masked where masking works; show the
        // display form so that a failing check never prints a full value.
        report.failures.push_back(where + "masked as '" + DisplayForm(out) + "', expected '" +
                                  DisplayForm(*ex.masked) + "'");
      }
    }
    if (long cut = FirstStreamDisagreement(ctx, ex.text, found); cut >= 0) {
      report.failures.push_back(where + "stream scan cut at byte " + std::to_string(cut) +
                                " disagrees with block scan");
    }
  }
  return report;
}

}  // namespace dlp
