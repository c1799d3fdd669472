#include "rules/compiled_ruleset.h"

#include <re2/re2.h>

#include <climits>

#include "rules/boundary.h"
#include "rules/rule_error.h"
#include "rules/rule_loader.h"

namespace dlp {
namespace {

// DOTALL so that '.' means any byte, as it does for RE2 with dot_nl below;
// no UTF8 flag: flows are bytes, not text.
// No start-of-match tracking: it made Hyperscan several times slower on
// digit-heavy text, and a match's start is found from its end instead (a
// pattern is at most max_width bytes long; see ConfirmCandidates).
constexpr unsigned kHsFlags = HS_FLAG_DOTALL;

// Who refuses a pattern, in the rule author's error.
#if defined(DLP_ENGINE_RE2)
constexpr const char* kEngineLabel = "the RE2 engine";
#else
constexpr const char* kEngineLabel = "Hyperscan";
#endif

RE2::Options ConfirmOptions() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);  // byte semantics, like Hyperscan
  o.set_dot_nl(true);
  o.set_log_errors(false);
  o.set_max_mem(8 << 20);
  return o;
}

}  // namespace

std::shared_ptr<const CompiledRuleset> CompiledRuleset::Compile(RuleSet rules,
                                                                const CompileOptions& options) {
  std::shared_ptr<CompiledRuleset> out(new CompiledRuleset());
  std::vector<std::string> exprs;
  std::vector<const PatternSpec*> specs;

  // ValuePrefixes points at the validators: no reallocation after the first.
  out->validators_.reserve(rules.rules.size());
  for (uint32_t ri = 0; ri < rules.rules.size(); ++ri) {
    const Rule& rule = rules.rules[ri];
    if (rule.checksum) {
      out->validators_.push_back(Validator::Of(*rule.checksum));
    } else if (auto v = Validator::Named(rule.validator)) {
      out->validators_.push_back(std::move(*v));
    } else {
      throw RuleError(rule.file, rule.line, rule.id, "unknown validator '" + rule.validator + "'");
    }
    out->keywords_.emplace_back(rule.context.keywords);
    out->excluded_.emplace_back(rule.context.exclude);
    // A grouped value's verdict reads the group before it and after it.
    if (!rule.layouts.empty()) {
      out->lookahead_ = kLayoutLookAhead;
      // Two rows before it (a table's rows above a value alone on its line).
      out->lookback_ = std::max(out->lookback_, 2 * kLayoutLookAhead);
    }
    out->columns_ = out->columns_ || (rule.context.columns && !rule.context.keywords.empty()) ||
                    !rule.context.exclude.empty();
    if (!rule.context.keywords.empty() || !rule.context.exclude.empty()) {
      const unsigned reach =
          rule.context.labels || rule.context.columns || !rule.context.exclude.empty()
              ? static_cast<unsigned>(kLabelReach)
              : rule.context.before;
      out->lookback_ = std::max(out->lookback_, reach);
    }
    // value_chars: one character class, turned into a byte table once.
    RE2 chars(rule.value_chars, ConfirmOptions());
    if (!chars.ok() || rule.value_chars.size() < 3 || rule.value_chars.front() != '[' ||
        rule.value_chars.back() != ']') {
      throw RuleError(rule.file, rule.value_chars_line, rule.id,
                      "value_chars must be one character class like '[0-9 -]'" +
                          (chars.ok() ? std::string() : ": " + chars.error()));
    }
    for (int b = 0; b < 256; ++b) {
      const char c = static_cast<char>(b);
      if (RE2::FullMatch(re2::StringPiece(&c, 1), chars)) out->value_bytes_[b] = true;
    }
    for (const auto& spec : rule.patterns) {
      CompiledPattern cp;
      cp.rule_index = ri;
      cp.expression = WrapPattern(spec);
      cp.boundary = spec.boundary;
      cp.needs_context = spec.needs_context;

      // Per-pattern checks first, so an error names the exact pattern line.
      hs_expr_info_t* info = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_expression_info(cp.expression.c_str(), kHsFlags, &info, &err) != HS_SUCCESS) {
        std::string msg = err != nullptr ? err->message : "unknown error";
        hs_free_compile_error(err);
        throw RuleError(rule.file, spec.line, rule.id,
                        std::string(kEngineLabel) + " rejects pattern: " + msg);
      }
      unsigned max_width = info->max_width;
      unsigned min_width = info->min_width;
      free(info);  // NOLINT: allocated by Hyperscan with the default malloc
      if (max_width == UINT_MAX || max_width > kMaxPatternWidth) {
        throw RuleError(rule.file, spec.line, rule.id,
                        "pattern may match more than " + std::to_string(kMaxPatternWidth) +
                            " bytes; stream inspection keeps a bounded history, so use bounded "
                            "repeats like {1,64} instead of * or +");
      }
      if (min_width == 0) {
        throw RuleError(rule.file, spec.line, rule.id, "pattern can match the empty string");
      }
      out->max_width_ = std::max(out->max_width_, max_width);
      cp.max_width = max_width;
      cp.gated = rule.min_digits > 0;
      if (cp.gated) {
        out->gate_width_ = std::max(out->gate_width_, max_width);
        const bool first_gated = out->gate_min_digits_ == 0;
        out->gate_min_digits_ =
            first_gated ? rule.min_digits : std::min(out->gate_min_digits_, rule.min_digits);
        if (first_gated || out->gate_digit_gap_) {
          out->gate_digit_gap_ = rule.digit_gap && out->gate_digit_gap_
                                     ? std::max(*rule.digit_gap, *out->gate_digit_gap_)
                                     : rule.digit_gap;
        }
      }

      cp.confirm = std::make_unique<RE2>(cp.expression, ConfirmOptions());
      if (!cp.confirm->ok()) {
        throw RuleError(
            rule.file, spec.line, rule.id,
            "RE2 rejects pattern (use the syntax Hyperscan and RE2 share): " + cp.confirm->error());
      }
      auto groups = cp.confirm->NamedCapturingGroups();
      auto it = groups.find("value");
      if (it == groups.end()) {
        throw RuleError(rule.file, spec.line, rule.id, "pattern has no (?P<value>...) group");
      }
      cp.value_group = it->second;
      cp.value_is_body = !NamesItsValue(spec);
      // A boundary on each side keeps a shape's groups whole (no match
      // begins or ends inside a run of digits).
      if (options.shapes && cp.gated && cp.value_is_body && cp.boundary != Boundary::kNone) {
        if (auto shape = ValueShape::Of(spec.regex)) {
          cp.shape = std::make_shared<const ValueShape>(std::move(*shape));
        }
      }
      RE2 body("^" + BodyOf(spec), ConfirmOptions());
      std::string min;
      std::string max;
      if (body.ok() && body.PossibleMatchRange(&min, &max, 4)) {
        if (!min.empty()) cp.first_lo = static_cast<uint8_t>(min[0]);
        if (!max.empty()) cp.first_hi = static_cast<uint8_t>(max[0]);
      }
      // A pattern PCRE2 cannot read lets any run of value bytes begin one of
      // its rule's values (as before prefixes were judged): nothing is lost.
      const Validator& validator = out->validators_[ri];
      out->prefixes_.Add(cp.expression, cp.boundary, ri, cp.needs_context, &validator,
                         validator.shown_leading_digits(), max_width, nullptr);
      exprs.push_back(cp.expression);
      specs.push_back(&spec);
      out->patterns_.push_back(std::move(cp));
    }
  }

  // Shapes are found in the gate's runs of digits; a gate that counts
  // digits by windows (a gated rule promises no digit gap) finds none.
  for (size_t i = 0; i < out->patterns_.size(); ++i) {
    CompiledPattern& p = out->patterns_[i];
    if (p.shape &&
        (!out->gate_digit_gap_ || (*out->gate_digit_gap_ == 0 && p.shape->max_groups() > 1))) {
      p.shape.reset();
    }
    if (p.shape && out->shaped_.size() == kMaxShaped) p.shape.reset();
    if (!p.shape) continue;
    const Validator& v = out->validators_[p.rule_index];
    p.walk_min_digits = std::max(p.shape->min_digits(), v.min_digits());
    p.walk_max_digits = std::min(p.shape->max_digits(), v.max_digits());
    for (int d = 0; d < 100; ++d) {
      const char two[2] = {static_cast<char>('0' + d / 10), static_cast<char>('0' + d % 10)};
      p.walk_begins[static_cast<size_t>(d)] =
          v.MayBegin(std::string_view(two, p.shape->first_min_width() >= 2 ? 2 : 1));
    }
    const uint64_t bit = uint64_t{1} << out->shaped_.size();
    for (size_t d = 0; d < 100; ++d) {
      if (p.walk_begins[d]) out->shaped_by_begin_[d] |= bit;
    }
    for (const auto& layout : p.shape->layouts()) {
      for (unsigned w = layout[0].min_width; w <= layout[0].max_width; ++w) {
        out->shaped_by_first_width_[w] |= bit;
        if (layout.size() != 1) continue;
        out->shaped_alone_by_width_[w] |= bit;
        for (int d = 0; d < 100 && w <= kMaxAloneWidth; ++d) {
          const char two[2] = {static_cast<char>('0' + d / 10), static_cast<char>('0' + d % 10)};
          if (v.MayBeOfLength(std::string_view(two, w >= 2 ? 2 : 1), w)) {
            out->shaped_alone_[w][static_cast<size_t>(d)] |= bit;
          }
        }
      }
    }
    out->shaped_max_groups_ = std::max(out->shaped_max_groups_, p.shape->max_groups());
    for (int b = 0; b < 256; ++b) {
      if (p.shape->separators().Has(static_cast<uint8_t>(b))) {
        out->shaped_separators_.Add(static_cast<uint8_t>(b));
      }
    }
    out->shaped_.push_back(static_cast<unsigned>(i));
  }
  for (int b = 0; b < 256; ++b) {
    if (out->shaped_separators_.Has(static_cast<uint8_t>(b))) {
      out->shaped_separator_bytes_.push_back(static_cast<uint8_t>(b));
    }
  }
  for (unsigned w = 255; w > 0; --w) {
    if (out->shaped_alone_by_width_[w] != 0) out->shaped_alone_min_width_ = w;
  }

  // Compiles the patterns that are (or are not) gated, keeping their indexes
  // as Hyperscan ids; leaves *db null when there are none. Shaped patterns
  // are in none.
  auto compile = [&](unsigned mode, bool gated, hs_database_t** db) {
    std::vector<const char*> cexprs;
    std::vector<unsigned> ids;
    for (size_t i = 0; i < exprs.size(); ++i) {
      if (out->patterns_[i].gated != gated || out->patterns_[i].shape) continue;
      cexprs.push_back(exprs[i].c_str());
      ids.push_back(static_cast<unsigned>(i));
    }
    if (cexprs.empty()) return;
    std::vector<unsigned> flags(cexprs.size(), kHsFlags);
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(cexprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(cexprs.size()), mode, nullptr, db,
                         &err) != HS_SUCCESS) {
      std::string msg = err != nullptr ? err->message : "unknown error";
      int idx = err != nullptr ? err->expression : -1;
      hs_free_compile_error(err);
      if (idx >= 0 && static_cast<size_t>(idx) < ids.size()) {
        const unsigned pi = ids[static_cast<size_t>(idx)];
        const Rule& r = rules.rules[out->patterns_[pi].rule_index];
        throw RuleError(r.file, specs[pi]->line, r.id,
                        std::string(kEngineLabel) + " rejects pattern: " + msg);
      }
      throw RuleError("", 0, "",
                      std::string(kEngineLabel) + " cannot compile the rule set: " + msg);
    }
  };
  compile(HS_MODE_BLOCK, true, &out->gated_db_);
  compile(HS_MODE_BLOCK, false, &out->block_db_);
  compile(HS_MODE_STREAM, false, &out->stream_db_);
  out->prefixes_.set_value_bytes(out->value_bytes_);
  out->rules_ = std::move(rules);
  return out;
}

CompiledRuleset::~CompiledRuleset() {
  hs_free_database(gated_db_);
  hs_free_database(block_db_);
  hs_free_database(stream_db_);
}

std::shared_ptr<const CompiledRuleset> LoadCompiledRules(const std::string& path) {
  return CompiledRuleset::Compile(path.empty() ? LoadDefaultRuleSet() : LoadRuleSet(path));
}

size_t CompiledRuleset::stream_state_size() const {
  size_t n = 0;
  if (stream_db_ != nullptr) hs_stream_size(stream_db_, &n);
  return n;
}

}  // namespace dlp
