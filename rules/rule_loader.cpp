#include "rules/rule_loader.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "dlpd/common/hex.h"
#include "rules/rule_error.h"
#include "rules/validators.h"

namespace dlp {

// Provided by the generated default_rules_data.cpp (see CMakeLists.txt).
std::vector<RuleSource> EmbeddedRuleSources();

namespace {

int LineOf(const YAML::Node& n) {
  return n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

class RuleParser {
 public:
  explicit RuleParser(const RuleSource& src) : src_(src) {}

  std::vector<Rule> Parse() {
    YAML::Node root;
    try {
      root = YAML::Load(src_.text);
    } catch (const YAML::ParserException& e) {
      throw RuleError(src_.name, e.mark.line + 1, "", "YAML syntax error: " + e.msg);
    }
    if (!root.IsMap() || !root["rules"]) {
      throw RuleError(src_.name, root ? LineOf(root) : 1, "",
                      "a rule file is a map with a 'rules:' list");
    }
    CheckKeys(root, {"rules"}, "");
    const YAML::Node list = root["rules"];
    if (!list.IsSequence()) throw RuleError(src_.name, LineOf(list), "", "'rules' must be a list");
    std::vector<Rule> out;
    for (const auto& node : list) out.push_back(ParseRule(node));
    return out;
  }

 private:
  [[noreturn]] void Fail(const YAML::Node& at, const std::string& id, const std::string& msg) {
    throw RuleError(src_.name, LineOf(at), id, msg);
  }

  void CheckKeys(const YAML::Node& map, std::initializer_list<const char*> allowed,
                 const std::string& id) {
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) Fail(kv.first, id, "a key must be a plain word");
      auto key = kv.first.as<std::string>();
      bool known =
          std::any_of(allowed.begin(), allowed.end(), [&](const char* k) { return key == k; });
      if (!known) {
        std::string list;
        for (const char* k : allowed) list += std::string(list.empty() ? "" : ", ") + k;
        Fail(kv.first, id, "unknown key '" + key + "' (expected one of: " + list + ")");
      }
    }
  }

  std::string Scalar(const YAML::Node& map, const char* key, const std::string& id, bool required) {
    const YAML::Node n = map[key];
    if (!n) {
      if (required) Fail(map, id, std::string("missing required key '") + key + "'");
      return "";
    }
    if (!n.IsScalar()) Fail(n, id, std::string("'") + key + "' must be a string");
    return n.as<std::string>();
  }

  Rule ParseRule(const YAML::Node& node) {
    if (!node.IsMap()) Fail(node, "", "each rule is a map (id, name, patterns, ...)");
    Rule r;
    r.file = src_.name;
    r.line = LineOf(node);
    r.id = Scalar(node, "id", "", true);
    if (r.id.empty() ||
        r.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos) {
      Fail(node["id"], r.id, "id must be non-empty lowercase letters, digits, '-', '_' or '.'");
    }
    CheckKeys(node,
              {"id", "name", "description", "severity", "validator", "mask", "boundary",
               "value_chars", "min_digits", "digit_gap", "patterns", "examples"},
              r.id);
    r.name = Scalar(node, "name", r.id, false);
    if (r.name.empty()) r.name = r.id;
    r.description = Scalar(node, "description", r.id, false);

    if (node["severity"]) {
      auto s = ParseSeverity(Scalar(node, "severity", r.id, true));
      if (!s) Fail(node["severity"], r.id, "severity must be low, medium, high or critical");
      r.severity = *s;
    }
    if (node["validator"]) {
      r.validator = Scalar(node, "validator", r.id, true);
      if (FindValidator(r.validator) == nullptr) {
        std::string names;
        for (const auto& n : ValidatorNames()) names += (names.empty() ? "" : ", ") + n;
        Fail(node["validator"], r.id,
             "unknown validator '" + r.validator + "' (known: " + names + ")");
      }
    }
    if (node["mask"]) {
      auto m = ParseMaskStyle(Scalar(node, "mask", r.id, true));
      if (!m) Fail(node["mask"], r.id, "mask must be digits, all or keep-last-4");
      r.mask = *m;
    }
    if (node["value_chars"]) {
      r.value_chars = Scalar(node, "value_chars", r.id, true);
      r.value_chars_line = LineOf(node["value_chars"]);
    }
    if (node["min_digits"]) {
      const std::string v = Scalar(node, "min_digits", r.id, true);
      r.min_digits_line = LineOf(node["min_digits"]);
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v.find_first_not_of("0123456789") != std::string::npos ||
          n < 1 || n > 64) {
        Fail(node["min_digits"], r.id, "min_digits must be a whole number from 1 to 64");
      }
      r.min_digits = static_cast<unsigned>(n);
    }
    if (node["digit_gap"]) {
      const std::string v = Scalar(node, "digit_gap", r.id, true);
      r.digit_gap_line = LineOf(node["digit_gap"]);
      if (r.min_digits == 0) Fail(node["digit_gap"], r.id, "digit_gap needs min_digits");
      if (v.empty() || v.size() > 1 || v[0] < '0' || v[0] > '8') {
        Fail(node["digit_gap"], r.id, "digit_gap must be a whole number from 0 to 8");
      }
      r.digit_gap = static_cast<unsigned>(v[0] - '0');
    }
    Boundary default_boundary = Boundary::kNone;
    if (node["boundary"]) default_boundary = ParseBoundaryAt(node["boundary"], r.id);

    const YAML::Node pats = node["patterns"];
    if (!pats || !pats.IsSequence() || pats.size() == 0) {
      Fail(pats ? pats : node, r.id, "'patterns' must be a non-empty list");
    }
    for (const auto& p : pats) {
      PatternSpec spec;
      spec.line = LineOf(p);
      spec.boundary = default_boundary;
      if (p.IsScalar()) {
        spec.regex = p.as<std::string>();
      } else if (p.IsMap()) {
        CheckKeys(p, {"regex", "boundary"}, r.id);
        spec.regex = Scalar(p, "regex", r.id, true);
        if (p["boundary"]) spec.boundary = ParseBoundaryAt(p["boundary"], r.id);
      } else {
        Fail(p, r.id, "a pattern is a string or a map with 'regex' and 'boundary'");
      }
      if (spec.regex.empty()) Fail(p, r.id, "empty pattern");
      r.patterns.push_back(std::move(spec));
    }

    if (const YAML::Node ex = node["examples"]) {
      if (!ex.IsMap()) Fail(ex, r.id, "'examples' is a map with 'match' and 'no_match' lists");
      CheckKeys(ex, {"match", "no_match"}, r.id);
      r.match_examples = ParseExamples(ex["match"], r.id, true);
      r.no_match_examples = ParseExamples(ex["no_match"], r.id, false);
    }
    return r;
  }

  Boundary ParseBoundaryAt(const YAML::Node& n, const std::string& id) {
    if (!n.IsScalar()) Fail(n, id, "'boundary' must be a string");
    auto b = ParseBoundary(n.as<std::string>());
    if (!b) Fail(n, id, "boundary must be none, token or number");
    return *b;
  }

  std::vector<RuleExample> ParseExamples(const YAML::Node& list, const std::string& id,
                                         bool allow_masked) {
    std::vector<RuleExample> out;
    if (!list) return out;
    if (!list.IsSequence()) Fail(list, id, "examples must be a list");
    for (const auto& e : list) {
      RuleExample ex;
      ex.line = LineOf(e);
      if (e.IsScalar()) {
        ex.text = e.as<std::string>();
      } else if (e.IsMap() && allow_masked) {
        CheckKeys(e, {"text", "masked"}, id);
        ex.text = Scalar(e, "text", id, true);
        if (e["masked"]) {
          ex.masked = Scalar(e, "masked", id, true);
          if (ex.masked->size() != ex.text.size()) {
            Fail(e["masked"], id, "'masked' must have the same length as 'text'");
          }
        }
      } else {
        Fail(e, id,
             allow_masked ? "an example is a string or a map with 'text' and 'masked'"
                          : "a no_match example is a string");
      }
      out.push_back(std::move(ex));
    }
    return out;
  }

  const RuleSource& src_;
};

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw RuleError(p.string(), 0, "", "cannot read rule file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ShortSha256(const std::vector<RuleSource>& sources) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const auto& s : sources) {
    // Only the content (and its length, as a separator) decides the version:
    // the same rules installed elsewhere are the same ruleset.
    std::string len = std::to_string(s.text.size()) + ":";
    EVP_DigestUpdate(ctx, len.data(), len.size());
    EVP_DigestUpdate(ctx, s.text.data(), s.text.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx, md, &md_len);
  EVP_MD_CTX_free(ctx);
  return ToHex(md, std::min(6U, md_len));
}

}  // namespace

std::vector<Rule> ParseRuleFile(const RuleSource& source) {
  try {
    return RuleParser(source).Parse();
  } catch (const YAML::Exception& e) {
    // Anything the checks above did not foresee still ends as a clear error.
    throw RuleError(source.name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", e.msg);
  }
}

RuleSet BuildRuleSet(const std::vector<RuleSource>& sources) {
  RuleSet set;
  std::set<std::string> ids;
  for (const auto& src : sources) {
    for (auto& rule : ParseRuleFile(src)) {
      if (!ids.insert(rule.id).second) {
        throw RuleError(rule.file, rule.line, rule.id, "duplicate rule id");
      }
      set.rules.push_back(std::move(rule));
    }
  }
  if (set.rules.empty()) throw RuleError(sources.empty() ? "" : sources[0].name, 0, "", "no rules");
  set.version = ShortSha256(sources);
  return set;
}

RuleSet LoadRuleSet(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<RuleSource> sources;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(path, ec)) {
      auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
    }
    if (ec) throw RuleError(path, 0, "", "cannot list rule directory: " + ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw RuleError(path, 0, "", "no *.yaml rule files in directory");
    for (const auto& f : files) sources.push_back({f.string(), ReadFile(f)});
  } else if (fs::exists(path, ec)) {
    sources.push_back({path, ReadFile(path)});
  } else {
    throw RuleError(path, 0, "", "no such rule file or directory");
  }
  return BuildRuleSet(sources);
}

const std::vector<RuleSource>& DefaultRuleSources() {
  static const std::vector<RuleSource> sources = EmbeddedRuleSources();
  return sources;
}

RuleSet LoadDefaultRuleSet() {
  return BuildRuleSet(DefaultRuleSources());
}

}  // namespace dlp
