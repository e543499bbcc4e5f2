#include "cli/config_file.h"

#include <yaml-cpp/yaml.h>

#include "cli/option_env.h"

namespace loupe::cli {
namespace {

// Collects every problem of the file, so one run shows them all.
class Problems {
 public:
  explicit Problems(std::string path) : path_(std::move(path)) {}
  void add(const YAML::Mark& mark, const std::string& what) {
    text_ += "\n  " + path_ + ":" + std::to_string(mark.line + 1) + ": " + what;
  }
  void throw_if_any() const {
    if (!text_.empty()) throw CLI::ConfigError("config file " + path_ + " has errors:" + text_);
  }

 private:
  std::string path_;
  std::string text_;
};

std::string joined_commands() {
  std::string all;
  for (const auto& c : kConfigurableCommands) all += (all.empty() ? "" : ", ") + c;
  return all;
}

// The option a config key names: the long flag name, without dashes.
const CLI::Option* option_for_key(const CLI::App& cmd, const std::string& key) {
  if (key.empty() || key.starts_with("-") || key == "help") return nullptr;
  const CLI::Option* opt = cmd.get_option_no_throw("--" + key);
  return opt && opt->get_configurable() ? opt : nullptr;
}

// The strings CLI11 gets for one key, or a problem.
bool inputs_of(const YAML::Node& value, const CLI::Option& opt, std::vector<std::string>& out,
               std::string& problem) {
  if (value.IsScalar()) {
    out.push_back(value.Scalar());
    return true;
  }
  if (value.IsSequence() && opt.get_expected_max() > 1) {
    for (const YAML::Node& v : value) {
      if (!v.IsScalar()) {
        problem = "expected a list of plain values";
        return false;
      }
      out.push_back(v.Scalar());
    }
    return true;
  }
  if (value.IsNull()) {
    problem = "has no value (remove the key for the default)";
    return false;
  }
  problem = value.IsSequence() ? "takes one value, not a list" : "expected a plain value";
  return false;
}

}  // namespace

std::vector<CLI::ConfigItem> YamlConfig::from_config(std::istream& input) const {
  std::string path = config_path(root_);
  Problems problems(path);
  YAML::Node doc;
  try {
    doc = YAML::Load(input);
  } catch (const YAML::Exception& e) {
    problems.add(e.mark, e.msg);
    problems.throw_if_any();
  }
  std::vector<CLI::ConfigItem> result;
  if (doc.IsNull()) return result;  // an empty file
  if (!doc.IsMap()) {
    problems.add(doc.Mark(), "expected sections named after commands (" + joined_commands() + ")");
    problems.throw_if_any();
  }
  for (const auto& section : doc) {
    std::string command = section.first.as<std::string>("");
    const CLI::App* cmd = nullptr;
    if (std::find(kConfigurableCommands.begin(), kConfigurableCommands.end(), command) !=
        kConfigurableCommands.end())
      cmd = root_.get_subcommand(command);
    if (!cmd) {
      problems.add(section.first.Mark(),
                   "unknown section '" + command + "' (expected one of " + joined_commands() + ")");
      continue;
    }
    if (!section.second.IsMap()) {
      if (!section.second.IsNull())
        problems.add(section.second.Mark(), command + ": expected option: value lines");
      continue;
    }
    bool runs = cmd->parsed();
    for (const auto& entry : section.second) {
      std::string key = entry.first.as<std::string>("");
      const CLI::Option* opt = option_for_key(*cmd, key);
      if (!opt) {
        problems.add(entry.first.Mark(), command + ": unknown option '" + key +
                                             "' (keys are the flags of `loupe " + command +
                                             " --help` without the dashes)");
        continue;
      }
      CLI::ConfigItem item{{command}, key, {}};
      std::string problem;
      if (!inputs_of(entry.second, *opt, item.inputs, problem)) {
        problems.add(entry.second.Mark(), command + "." + key + ": " + problem);
        continue;
      }
      // Flags and then the environment take precedence; other commands'
      // sections are only checked.
      if (!runs || opt->count() > 0 || !env_setting(*opt).empty()) continue;
      applied_.insert(command + "." + key);
      result.push_back(std::move(item));
    }
  }
  problems.throw_if_any();
  return result;
}

std::shared_ptr<YamlConfig> add_config_option(CLI::App& root) {
  auto reader = std::make_shared<YamlConfig>(root);
  root.config_formatter(reader);
  root.set_config("--config", kDefaultConfigPath,
                  "YAML config file with a section per command (run, agent, server, cluster) "
                  "keyed by flag names; flags and LOUPE_* variables win over it",
                  false);
  return reader;
}

std::string config_path(const CLI::App& root) {
  const CLI::Option* opt = root.get_config_ptr();
  if (!opt) return "";
  if (opt->count() > 0) return opt->results().front();
  return opt->get_default_str();
}

}  // namespace loupe::cli
