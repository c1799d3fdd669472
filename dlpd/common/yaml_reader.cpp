#include "dlpd/common/yaml_reader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace dlp {

int LineOf(const YAML::Node& n) {
  return n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

std::optional<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

YAML::Node YamlReader::Parse(const std::string& text) const {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    // An unquoted value that begins with '*' (a policy's *.example) is an alias in YAML.
    const bool alias = e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR;
    Fail(e.mark.line + 1, "",
         "YAML syntax error: " + e.msg +
             (alias ? " (a value that begins with '*' must be quoted: '*.example')" : ""));
  }
}

void YamlReader::Fail(const YAML::Node& at, const std::string& who,
                      const std::string& message) const {
  Fail(LineOf(at), who, message);
}

void YamlReader::Fail(int line, const std::string& who, const std::string& message) const {
  thrower_(file_, line, who, message);
  throw std::logic_error("YamlReader: the thrower returned");  // never reached
}

void YamlReader::CheckKeys(const YAML::Node& map, std::initializer_list<const char*> allowed,
                           const std::string& who) const {
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) Fail(kv.first, who, "a key must be a plain word");
    const auto key = kv.first.as<std::string>();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) { return key == k; })) {
      std::string list;
      for (const char* k : allowed) list += std::string(list.empty() ? "" : ", ") + k;
      Fail(kv.first, who, "unknown key '" + key + "' (expected one of: " + list + ")");
    }
  }
}

YAML::Node YamlReader::Required(const YAML::Node& map, const char* key,
                                const std::string& who) const {
  const YAML::Node n = map[key];
  if (!n) Fail(map, who, std::string("missing required key '") + key + "'");
  return n;
}

std::string YamlReader::Text(const YAML::Node& n, const std::string& who,
                             const std::string& what) const {
  if (!n.IsScalar()) Fail(n, who, what + " must be a string");
  return n.as<std::string>();
}

std::string YamlReader::Scalar(const YAML::Node& map, const char* key, const std::string& who,
                               bool required) const {
  if (!map[key] && !required) return "";
  return Text(Required(map, key, who), who, std::string("'") + key + "'");
}

std::vector<YAML::Node> YamlReader::Items(const YAML::Node& n, const std::string& who,
                                          const std::string& what) const {
  std::vector<YAML::Node> out;
  if (n.IsScalar()) {
    out.push_back(n);
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar()) Fail(item, who, "each " + what + " must be a string");
      out.push_back(item);
    }
  } else {
    Fail(n, who, what + " must be a value or a list");
  }
  return out;
}

}  // namespace dlp
