// `dlpd -c FILE`: the settings file is YAML, a flat map whose keys are the
// command line's long options (fail_mode or fail-mode: open). It plugs into
// CLI11 as its config reader, so a setting is validated exactly as the
// option is, and the command line wins over the file. Unknown keys, nested
// values and YAML errors are rejected with the line they are on.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace dlp {

class YamlConfig : public CLI::Config {
 public:
  // `known`: the long option names a file may set (without "--").
  explicit YamlConfig(std::vector<std::string> known) : known_(std::move(known)) {}
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

 private:
  std::vector<std::string> known_;
};

}  // namespace dlp
