#include "dlpd/config/yaml_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>

namespace dlp {

std::string YamlConfig::to_config(const CLI::App* app, bool default_also, bool, std::string) const {
  // What `dlpd --check -v` prints: every setting as YAML.
  std::string out;
  for (const CLI::Option* opt : app->get_options()) {
    const std::string name = opt->get_single_name();
    if (std::find(known_.begin(), known_.end(), name) == known_.end()) continue;
    const bool given = opt->count() > 0;
    std::string value = given ? opt->as<std::string>() : opt->get_default_str();
    if (!given && !default_also) continue;
    const bool flag = opt->get_expected_max() == 0;
    if (value.empty() && flag) value = "false";
    std::string key = name;
    std::replace(key.begin(), key.end(), '-', '_');
    // The emitter quotes what YAML would read otherwise ("0-1", "a: b").
    YAML::Emitter line;
    line << YAML::BeginMap << YAML::Key << key << YAML::Value << value << YAML::EndMap;
    // Defaults as comments: the output reads back as the same settings
    // (some defaults, such as no capture, cannot be written as values).
    out += (given ? "" : "# ") + std::string(line.c_str()) +
           (given           ? ""
            : value.empty() ? "  # (default: none or built in)"
                            : "  # (default)") +
           "\n";
  }
  return out;
}

std::vector<CLI::ConfigItem> YamlConfig::from_config(std::istream& input) const {
  std::stringstream ss;
  ss << input.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(ss.str());
  } catch (const YAML::ParserException& e) {
    throw CLI::ConfigError("config line " + std::to_string(e.mark.line + 1) +
                           ": YAML syntax error: " + e.msg);
  }
  std::vector<CLI::ConfigItem> items;
  if (!root || root.IsNull()) return items;
  if (!root.IsMap()) throw CLI::ConfigError("the config file is a map of settings (key: value)");
  for (const auto& kv : root) {
    const std::string line = std::to_string(kv.first.Mark().line + 1);
    if (!kv.first.IsScalar())
      throw CLI::ConfigError("config line " + line + ": a key must be a word");
    CLI::ConfigItem item;
    item.name = kv.first.as<std::string>();
    std::replace(item.name.begin(), item.name.end(), '_', '-');
    if (std::find(known_.begin(), known_.end(), item.name) == known_.end()) {
      std::string list;
      for (const auto& k : known_) {
        std::string shown = k;
        std::replace(shown.begin(), shown.end(), '-', '_');
        list += (list.empty() ? "" : ", ") + shown;
      }
      throw CLI::ConfigError("config line " + line + ": unknown setting '" +
                             kv.first.as<std::string>() + "' (settings: " + list + ")");
    }
    if (!kv.second.IsScalar()) {
      throw CLI::ConfigError("config line " + line + ": '" + kv.first.as<std::string>() +
                             "' takes one value");
    }
    item.inputs = {kv.second.as<std::string>()};
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace dlp
