#include "rules/rule_loader.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "dlpd/common/hex.h"
#include "dlpd/common/yaml_reader.h"
#include "rules/rule_error.h"
#include "rules/validators.h"

namespace dlp {

// Provided by the generated default_rules_data.cpp (see CMakeLists.txt).
std::vector<RuleSource> EmbeddedRuleSources();

namespace {

class RuleParser {
 public:
  explicit RuleParser(const RuleSource& src)
      : src_(src), in_(YamlReader::Throwing<RuleError>(src.name)) {}

  std::vector<Rule> Parse() {
    return in_.Guard([&] { return ReadRules(); });
  }

 private:
  std::vector<Rule> ReadRules() {
    const YAML::Node root = in_.Parse(src_.text);
    if (!root.IsMap() || !root["rules"]) {
      in_.Fail(root ? LineOf(root) : 1, "", "a rule file is a map with a 'rules:' list");
    }
    in_.CheckKeys(root, {"rules"}, "");
    const YAML::Node list = root["rules"];
    if (!list.IsSequence()) in_.Fail(list, "", "'rules' must be a list");
    std::vector<Rule> out;
    for (const auto& node : list) out.push_back(ParseRule(node));
    return out;
  }

  // sid, rev, classtype and metadata: what SIEMs key alerts on, so each is
  // checked for what Suricata's own fields allow.
  void ParseSignature(const YAML::Node& node, Rule& r) {
    auto number = [&](const char* key, uint32_t* out) {
      if (!node[key]) return;
      const std::string v = in_.Scalar(node, key, r.id, true);
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos ||
          n < 1 || n > 4294967295ULL) {
        in_.Fail(node[key], r.id,
                 std::string(key) + " must be a whole number from 1 to 4294967295");
      }
      *out = static_cast<uint32_t>(n);
    };
    number("sid", &r.sid);
    number("rev", &r.rev);
    // A word, as Suricata's classification names are ("policy-violation").
    auto word = [&](const YAML::Node& at, const std::string& v, const std::string& what) {
      if (v.empty() || v.size() > 64 ||
          v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
        in_.Fail(at, r.id, what + " must be 1-64 lowercase letters, digits, '-' or '_'");
      }
    };
    if (node["classtype"]) {
      r.classtype = in_.Scalar(node, "classtype", r.id, true);
      word(node["classtype"], r.classtype, "classtype");
    }
    if (const YAML::Node m = node["metadata"]) {
      if (!m.IsMap()) in_.Fail(m, r.id, "metadata must be a map: {key: value or [values]}");
      nlohmann::json object = nlohmann::json::object();  // its keys sorted
      for (const auto& kv : m) {
        const std::string key = in_.Text(kv.first, r.id, "a metadata key");
        word(kv.first, key, "a metadata key");
        if (object.contains(key)) {
          in_.Fail(kv.first, r.id, "metadata key '" + key + "' given twice");
        }
        std::vector<std::string> values;
        for (const auto& v : in_.Items(kv.second, r.id, "metadata value")) {
          std::string text = in_.Text(v, r.id, "a metadata value");
          if (text.empty() || text.size() > 256 ||
              std::any_of(text.begin(), text.end(),
                          [](unsigned char c) { return c < 0x20 || c >= 0x7f; })) {
            // ASCII: SIEM fields, and always valid UTF-8 in EVE's JSON.
            in_.Fail(v, r.id, "a metadata value is 1-256 printable ASCII characters");
          }
          values.push_back(std::move(text));
        }
        if (values.empty()) in_.Fail(kv.second, r.id, "metadata '" + key + "' has no value");
        object[key] = std::move(values);
      }
      // Once here, not per incident on the packet path (printable ASCII:
      // the dump cannot meet invalid UTF-8).
      r.metadata_json = object.dump();
    }
  }

  Rule ParseRule(const YAML::Node& node) {
    if (!node.IsMap()) in_.Fail(node, "", "each rule is a map (id, name, patterns, ...)");
    Rule r;
    r.file = src_.name;
    r.line = LineOf(node);
    r.id = in_.Scalar(node, "id", "", true);
    if (r.id.empty() ||
        r.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos) {
      in_.Fail(node["id"], r.id, "id must be non-empty lowercase letters, digits, '-', '_' or '.'");
    }
    in_.CheckKeys(node,
                  {"id", "name", "description", "severity", "sid", "rev", "classtype", "metadata",
                   "validator", "mask", "boundary", "value_chars", "min_digits", "digit_gap",
                   "context", "layouts", "known_examples", "patterns", "examples"},
                  r.id);
    r.name = in_.Scalar(node, "name", r.id, false);
    if (r.name.empty()) r.name = r.id;
    r.description = in_.Scalar(node, "description", r.id, false);
    ParseSignature(node, r);

    if (node["severity"]) {
      auto s = ParseSeverity(in_.Scalar(node, "severity", r.id, true));
      if (!s) in_.Fail(node["severity"], r.id, "severity must be low, medium, high or critical");
      r.severity = *s;
    }
    if (const YAML::Node v = node["validator"]) {
      if (v.IsMap()) {
        r.validator = "checksum";
        r.checksum = ParseChecksum(v, r.id);
      } else {
        r.validator = in_.Scalar(node, "validator", r.id, true);
        if (!Validator::Named(r.validator)) {
          std::string names;
          for (const auto& n : Validator::Names()) names += (names.empty() ? "" : ", ") + n;
          in_.Fail(v, r.id,
                   "unknown validator '" + r.validator + "' (known: " + names +
                       ", or a map {checksum: luhn | mod97 | weights, ...})");
        }
      }
    }
    if (const YAML::Node c = node["context"]) r.context = ParseContext(c, r.id);
    if (const YAML::Node l = node["layouts"]) {
      for (const auto& n : in_.Items(l, r.id, "layouts")) {
        const std::string text = in_.Text(n, r.id, "a layout");
        std::vector<uint8_t> widths;
        if (!ParseWidths(text, &widths) || widths.size() < 2) {
          in_.Fail(n, r.id, "a layout is group widths like '4-4-4-4', not '" + text + "'");
        }
        r.layouts.push_back(std::move(widths));
      }
    }
    if (const YAML::Node k = node["known_examples"]) {
      for (const auto& n : in_.Items(k, r.id, "known_examples")) {
        std::string digits;
        for (char c : in_.Text(n, r.id, "a known example")) {
          if (c >= '0' && c <= '9') digits += c;
        }
        if (digits.empty()) in_.Fail(n, r.id, "a known example is a value with digits");
        r.known_examples.push_back(std::move(digits));
      }
      std::sort(r.known_examples.begin(), r.known_examples.end());
      r.known_examples.erase(std::unique(r.known_examples.begin(), r.known_examples.end()),
                             r.known_examples.end());
    }
    if (node["mask"]) {
      auto m = ParseMaskStyle(in_.Scalar(node, "mask", r.id, true));
      if (!m) in_.Fail(node["mask"], r.id, "mask must be digits, all or keep-last-4");
      r.mask = *m;
    }
    if (node["value_chars"]) {
      r.value_chars = in_.Scalar(node, "value_chars", r.id, true);
      r.value_chars_line = LineOf(node["value_chars"]);
    }
    if (node["min_digits"]) {
      const std::string v = in_.Scalar(node, "min_digits", r.id, true);
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v.find_first_not_of("0123456789") != std::string::npos ||
          n < 1 || n > 64) {
        in_.Fail(node["min_digits"], r.id, "min_digits must be a whole number from 1 to 64");
      }
      r.min_digits = static_cast<unsigned>(n);
    }
    if (node["digit_gap"]) {
      const std::string v = in_.Scalar(node, "digit_gap", r.id, true);
      if (r.min_digits == 0) in_.Fail(node["digit_gap"], r.id, "digit_gap needs min_digits");
      if (v.empty() || v.size() > 1 || v[0] < '0' || v[0] > '8') {
        in_.Fail(node["digit_gap"], r.id, "digit_gap must be a whole number from 0 to 8");
      }
      r.digit_gap = static_cast<unsigned>(v[0] - '0');
    }
    Boundary default_boundary = Boundary::kNone;
    if (node["boundary"]) default_boundary = ParseBoundaryAt(node["boundary"], r.id);

    const YAML::Node pats = node["patterns"];
    if (!pats || !pats.IsSequence() || pats.size() == 0) {
      in_.Fail(pats ? pats : node, r.id, "'patterns' must be a non-empty list");
    }
    for (const auto& p : pats) {
      PatternSpec spec;
      spec.line = LineOf(p);
      spec.boundary = default_boundary;
      if (p.IsScalar()) {
        spec.regex = p.as<std::string>();
      } else if (p.IsMap()) {
        in_.CheckKeys(p, {"regex", "boundary", "context"}, r.id);
        spec.regex = in_.Scalar(p, "regex", r.id, true);
        if (p["boundary"]) spec.boundary = ParseBoundaryAt(p["boundary"], r.id);
        if (p["context"]) {
          const std::string c = in_.Scalar(p, "context", r.id, true);
          if (c != "required" && c != "none") {
            in_.Fail(p["context"], r.id, "a pattern's context is 'required' or 'none'");
          }
          spec.needs_context = c == "required";
          if (spec.needs_context && r.context.keywords.empty()) {
            in_.Fail(p["context"], r.id,
                     "context: required needs the rule's 'context' with keywords (above the "
                     "patterns)");
          }
        }
      } else {
        in_.Fail(p, r.id, "a pattern is a string or a map with 'regex', 'boundary' and 'context'");
      }
      if (spec.regex.empty()) in_.Fail(p, r.id, "empty pattern");
      r.patterns.push_back(std::move(spec));
    }

    if (const YAML::Node ex = node["examples"]) {
      if (!ex.IsMap()) in_.Fail(ex, r.id, "'examples' is a map with 'match' and 'no_match' lists");
      in_.CheckKeys(ex, {"match", "no_match"}, r.id);
      r.match_examples = ParseExamples(ex["match"], r.id, true);
      r.no_match_examples = ParseExamples(ex["no_match"], r.id, false);
    }
    return r;
  }

  ContextSpec ParseContext(const YAML::Node& c, const std::string& id) {
    if (!c.IsMap()) {
      in_.Fail(c, id, "'context' is a map (keywords, before, labels, columns, exclude)");
    }
    in_.CheckKeys(c, {"keywords", "before", "labels", "columns", "exclude"}, id);
    ContextSpec ctx;
    ctx.line = LineOf(c);
    for (const auto& n : in_.Items(in_.Required(c, "keywords", id), id, "keywords")) {
      std::string k = in_.Text(n, id, "a keyword");
      if (k.find_first_not_of(" \t") == std::string::npos) in_.Fail(n, id, "empty keyword");
      ctx.keywords.push_back(std::move(k));
    }
    if (ctx.keywords.empty()) in_.Fail(c, id, "'keywords' must not be empty");
    if (c["before"]) ctx.before = Number(c["before"], id, "before", 0, kMaxContextBefore);
    ctx.labels = Flag(c, "labels", id);
    ctx.columns = Flag(c, "columns", id);
    if (c["exclude"]) {
      for (const auto& n : in_.Items(c["exclude"], id, "exclude")) {
        ctx.exclude.push_back(in_.Text(n, id, "an excluded word"));
      }
    }
    return ctx;
  }

  bool Flag(const YAML::Node& map, const char* key, const std::string& id) {
    if (!map[key]) return false;
    const std::string v = in_.Scalar(map, key, id, true);
    if (v != "true" && v != "false") in_.Fail(map[key], id, std::string(key) + " is true or false");
    return v == "true";
  }

  unsigned Number(const YAML::Node& n, const std::string& id, const char* what, unsigned lo,
                  unsigned hi) {
    const std::string v = in_.Text(n, id, what);
    char* end = nullptr;
    const unsigned long x = std::strtoul(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || v.find_first_not_of("0123456789") != std::string::npos ||
        x < lo || x > hi) {
      in_.Fail(n, id,
               std::string(what) + " must be a whole number from " + std::to_string(lo) + " to " +
                   std::to_string(hi));
    }
    return static_cast<unsigned>(x);
  }

  // "4-4-4-4" into {4, 4, 4, 4}; false unless every width is 1-19.
  static bool ParseWidths(const std::string& text, std::vector<uint8_t>* out) {
    size_t at = 0;
    while (at <= text.size()) {
      size_t dash = text.find('-', at);
      if (dash == std::string::npos) dash = text.size();
      const std::string part = text.substr(at, dash - at);
      if (part.empty() || part.size() > 2 ||
          part.find_first_not_of("0123456789") != std::string::npos) {
        return false;
      }
      const int w = std::stoi(part);
      if (w < 1 || w > 19) return false;
      out->push_back(static_cast<uint8_t>(w));
      at = dash + 1;
    }
    return true;
  }

  // '51-55' or '4' (a prefix range of equal-length numbers), with an
  // optional length '16' or '13-19'.
  PrefixRange ParsePrefix(const YAML::Node& n, const std::string& id) {
    PrefixRange r;
    std::string range;
    if (n.IsMap()) {
      in_.CheckKeys(n, {"range", "name", "length", "context"}, id);
      range = in_.Text(in_.Required(n, "range", id), id, "range");
      r.name = n["name"] ? in_.Scalar(n, "name", id, true) : "";
      if (n["length"]) {
        unsigned lo = 0;
        unsigned hi = 0;
        Lengths(n["length"], id, &lo, &hi);
        r.min_len = static_cast<uint8_t>(lo);
        r.max_len = static_cast<uint8_t>(hi);
      }
      if (n["context"]) {
        const std::string c = in_.Scalar(n, "context", id, true);
        if (c != "required" && c != "none") {
          in_.Fail(n["context"], id, "a prefix's context is 'required' or 'none'");
        }
        r.needs_context = c == "required";
      }
    } else {
      range = in_.Text(n, id, "a prefix");
    }
    const size_t dash = range.find('-');
    const std::string lo = range.substr(0, dash);
    const std::string hi = dash == std::string::npos ? lo : range.substr(dash + 1);
    if (lo.empty() || lo.size() != hi.size() || lo.size() > 9 ||
        (lo + hi).find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(lo) > std::stoul(hi)) {
      in_.Fail(n, id, "a prefix is digits or a range of as many digits, like '51-55'");
    }
    r.lo = static_cast<uint32_t>(std::stoul(lo));
    r.hi = static_cast<uint32_t>(std::stoul(hi));
    r.digits = static_cast<uint8_t>(lo.size());
    return r;
  }

  void Lengths(const YAML::Node& n, const std::string& id, unsigned* lo, unsigned* hi) {
    const std::string v = in_.Text(n, id, "length");
    const size_t dash = v.find('-');
    // At most two digits a side: stoul never sees a number it cannot hold.
    const size_t left = dash == std::string::npos ? v.size() : dash;
    const size_t right = dash == std::string::npos ? 0 : v.size() - dash - 1;
    const bool ok = v.find_first_not_of("0123456789-") == std::string::npos && !v.empty() &&
                    v.front() != '-' && v.back() != '-' &&
                    v.find('-', dash + 1) == std::string::npos && left <= 2 && right <= 2;
    unsigned a = ok ? static_cast<unsigned>(std::stoul(v.substr(0, dash))) : 0;
    unsigned b =
        ok && dash != std::string::npos ? static_cast<unsigned>(std::stoul(v.substr(dash + 1))) : a;
    if (!ok || a < 1 || b > 64 || a > b) {
      in_.Fail(n, id, "length is a number of characters or a range like '13-19' (at most 64)");
    }
    *lo = a;
    *hi = b;
  }

  ChecksumSpec ParseChecksum(const YAML::Node& v, const std::string& id) {
    in_.CheckKeys(v, {"checksum", "weights", "modulus", "length", "prefixes"}, id);
    ChecksumSpec spec;
    const std::string kind = in_.Scalar(v, "checksum", id, true);
    if (kind == "luhn") {
      spec.kind = ChecksumSpec::Kind::kLuhn;
    } else if (kind == "mod97") {
      spec.kind = ChecksumSpec::Kind::kMod97;
    } else if (kind == "weights") {
      spec.kind = ChecksumSpec::Kind::kWeights;
    } else {
      in_.Fail(v["checksum"], id, "checksum must be luhn, mod97 or weights");
    }
    if (v["weights"]) {
      if (spec.kind != ChecksumSpec::Kind::kWeights) {
        in_.Fail(v["weights"], id, "'weights' goes with checksum: weights");
      }
      for (const auto& n : in_.Items(v["weights"], id, "weights")) {
        spec.weights.push_back(Number(n, id, "a weight", 0, 1000));
      }
    }
    if (spec.kind == ChecksumSpec::Kind::kWeights && spec.weights.empty()) {
      in_.Fail(v, id, "checksum: weights needs 'weights', e.g. [3, 7, 1]");
    }
    if (v["modulus"]) spec.modulus = Number(v["modulus"], id, "modulus", 2, 1000);
    if (v["length"]) Lengths(v["length"], id, &spec.min_len, &spec.max_len);
    if (v["prefixes"]) {
      if (spec.kind == ChecksumSpec::Kind::kMod97) {
        in_.Fail(v["prefixes"], id, "checksum: mod97 takes no prefixes");
      }
      const YAML::Node list = v["prefixes"];
      if (!list.IsSequence()) in_.Fail(list, id, "'prefixes' is a list of '51-55' or {range: ...}");
      for (const auto& n : list) spec.prefixes.push_back(ParsePrefix(n, id));
    }
    return spec;
  }

  Boundary ParseBoundaryAt(const YAML::Node& n, const std::string& id) {
    if (!n.IsScalar()) in_.Fail(n, id, "'boundary' must be a string");
    auto b = ParseBoundary(n.as<std::string>());
    if (!b) in_.Fail(n, id, "boundary must be none, token or number");
    return *b;
  }

  std::vector<RuleExample> ParseExamples(const YAML::Node& list, const std::string& id,
                                         bool allow_masked) {
    std::vector<RuleExample> out;
    if (!list) return out;
    if (!list.IsSequence()) in_.Fail(list, id, "examples must be a list");
    for (const auto& e : list) {
      RuleExample ex;
      ex.line = LineOf(e);
      if (e.IsScalar()) {
        ex.text = e.as<std::string>();
      } else if (e.IsMap() && allow_masked) {
        in_.CheckKeys(e, {"text", "masked"}, id);
        ex.text = in_.Scalar(e, "text", id, true);
        if (e["masked"]) {
          ex.masked = in_.Scalar(e, "masked", id, true);
          if (ex.masked->size() != ex.text.size()) {
            in_.Fail(e["masked"], id, "'masked' must have the same length as 'text'");
          }
        }
      } else {
        in_.Fail(e, id,
                 allow_masked ? "an example is a string or a map with 'text' and 'masked'"
                              : "a no_match example is a string");
      }
      out.push_back(std::move(ex));
    }
    return out;
  }

  const RuleSource& src_;
  const YamlReader in_;
};

std::string ReadFile(const std::filesystem::path& p) {
  std::optional<std::string> text = ReadTextFile(p.string());
  if (!text) throw RuleError(p.string(), 0, "", "cannot read rule file");
  return std::move(*text);
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
  return RuleParser(source).Parse();
}

RuleSet BuildRuleSet(const std::vector<RuleSource>& sources) {
  RuleSet set;
  std::set<std::string> ids;
  std::map<uint32_t, std::string> sids;  // a SIEM would take two rules with one sid as one
  for (const auto& src : sources) {
    for (auto& rule : ParseRuleFile(src)) {
      if (!ids.insert(rule.id).second) {
        throw RuleError(rule.file, rule.line, rule.id, "duplicate rule id");
      }
      // Its own sid, or the one dlpd derives from its id: either may be another's.
      const uint32_t sid = rule.signature_id();
      auto [it, fresh] = sids.emplace(sid, rule.id);
      if (!fresh) {
        throw RuleError(rule.file, rule.line, rule.id,
                        "sid " + std::to_string(sid) + " is rule '" + it->second + "''s too" +
                            (rule.sid == 0 ? " (derived from the id: set a sid)" : ""));
      }
      set.rules.push_back(std::move(rule));
    }
  }
  if (set.rules.empty()) throw RuleError(sources.empty() ? "" : sources[0].name, 0, "", "no rules");
  set.version = ShortSha256(sources);
  return set;
}

RuleSet LoadRuleSet(const std::string& path) {
  return BuildRuleSet(ReadRuleSources(path));
}

std::vector<RuleSource> ReadRuleSources(const std::string& path) {
  if (path.empty()) return DefaultRuleSources();
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<RuleSource> sources;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(path, ec)) {
      auto ext = e.path().extension().string();
      if (ext != ".yaml" && ext != ".yml") continue;
      // A rule file that cannot even be looked at (a symlink loop, a
      // dangling link) is an error with its name, not an exception.
      std::error_code file_ec;
      const bool regular = e.is_regular_file(file_ec);
      if (file_ec) {
        throw RuleError(e.path().string(), 0, "", "cannot read rule file: " + file_ec.message());
      }
      if (regular) files.push_back(e.path());
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
  return sources;
}

const std::vector<RuleSource>& DefaultRuleSources() {
  static const std::vector<RuleSource> sources = EmbeddedRuleSources();
  return sources;
}

RuleSet LoadDefaultRuleSet() {
  return BuildRuleSet(DefaultRuleSources());
}

}  // namespace dlp
