// The config file, /etc/loupe/loupe.yaml or --config PATH: one section per
// command, keyed by the commands' long flag names,
//
//   server:
//     listen: 0.0.0.0:8080
//     retention: 7d
//   agent:
//     server: http://loupe-server:8080
//     port: [80, 5432]
//
// read with yaml-cpp and handed to CLI11 as config items. Flags win over the
// environment, which wins over the file: CLI11 reads a config file before the
// environment, so a value whose variable is set is left out here. Every key of
// every section is checked, whatever command runs: an unknown command or
// option is an error naming the file and line.
#pragma once

#include <CLI/CLI.hpp>
#include <set>
#include <string>

namespace loupe::cli {

inline constexpr const char* kDefaultConfigPath = "/etc/loupe/loupe.yaml";

class YamlConfig : public CLI::Config {
 public:
  // `root` is the whole command tree, to check keys against; its --config
  // option names the file in error messages.
  explicit YamlConfig(const CLI::App& root) : root_(root) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
  // Not used: `loupe config print` writes the effective configuration.
  std::string to_config(const CLI::App*, bool, bool, std::string) const override { return ""; }

  // "command.option" of every value the file set (after flags and
  // environment took theirs), for `loupe config print`.
  const std::set<std::string>& applied() const { return applied_; }

 private:
  const CLI::App& root_;
  mutable std::set<std::string> applied_;
};

// Adds --config to `root` (default: kDefaultConfigPath, read when it
// exists) and makes a YamlConfig read it; returns that reader.
std::shared_ptr<YamlConfig> add_config_option(CLI::App& root);

// The file --config names, else the default.
std::string config_path(const CLI::App& root);

}  // namespace loupe::cli
