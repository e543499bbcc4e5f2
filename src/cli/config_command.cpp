// `loupe config print COMMAND`: the configuration COMMAND would run with,
// from the environment, the config file and the defaults, each value with
// where it came from and secrets masked. It parses a second copy of the
// command tree with the command's action switched off, so what it prints is
// what the real parse does.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/option_env.h"

namespace loupe::cli {
namespace {

constexpr const char* kMask = "********";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// A value that is itself a credential: a token, a password, a secret or a
// header (which may carry one). A name ending in -file or -dir holds a path.
bool is_secret(const std::string& name) {
  std::string n = lower(name);
  if (n.ends_with("-file") || n.ends_with("_file") || n.ends_with("-dir")) return false;
  for (const char* word : {"token", "password", "secret", "header", "credential"})
    if (n.find(word) != std::string::npos) return true;
  return false;
}

// https://user:password@host -> https://user:********@host
std::string mask_url_password(std::string value) {
  auto scheme = value.find("://");
  if (scheme == std::string::npos) return value;
  auto at = value.find('@', scheme);
  auto colon = value.find(':', scheme + 3);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return value;
  return value.replace(colon + 1, at - colon - 1, kMask);
}

struct Setting {
  std::string key;
  std::vector<std::string> values;  // empty: not set
  bool list = false;                // the option takes several values
  std::string source;               // "environment LOUPE_X", the file, "default", "unset"
};

Setting setting_of(const CLI::Option& opt, const std::string& command, const YamlConfig& reader,
                   const std::string& file) {
  Setting s{opt.get_lnames().front(), {}, opt.get_expected_max() > 1, "default"};
  std::string variable = env_setting(opt);
  bool from_file = reader.applied().count(command + "." + s.key) > 0;
  if (opt.count() > 0 && opt.get_expected_min() == 0) {
    s.values = {opt.as<bool>() ? "true" : "false"};
  } else if (opt.count() > 0) {
    s.values = opt.results();
  } else if (!variable.empty()) {  // read by the command's own code (e.g. LOUPE_TOKEN)
    s.values = {std::getenv(variable.c_str())};
  } else if (opt.get_expected_min() == 0) {
    s.values = {"false"};
  } else if (!opt.get_default_str().empty() && opt.get_default_str() != "[]") {
    s.values = {opt.get_default_str()};
  }
  if (from_file)
    s.source = file;
  else if (!variable.empty())
    s.source = "environment " + variable;
  else if (s.values.empty())
    s.source = "unset";
  bool secret = is_secret(s.key) || is_secret(variable);
  for (std::string& v : s.values) v = secret ? kMask : mask_url_password(v);
  return s;
}

std::vector<Setting> effective_settings(const std::string& command, const std::string& file,
                                        bool file_given) {
  ParseOnlyApp app;
  int unused = 0;
  std::shared_ptr<YamlConfig> reader = build_app(app, unused);
  CLI::App* cmd = app.get_subcommand(command);
  for (CLI::Option* opt : cmd->get_options()) {
    opt->required(false);  // show what is missing instead of refusing
    opt->capture_default_str();
  }
  std::vector<std::string> args = {command};  // CLI11 takes them in reverse
  if (file_given) args = {command, file, "--config"};
  try {
    app.parse(args);
  } catch (const ParseOnlyApp::Parsed&) {
  }
  std::vector<Setting> settings;
  for (const CLI::Option* opt : cmd->get_options()) {
    if (opt->get_lnames().empty() || opt->get_lnames().front() == "help") continue;
    settings.push_back(setting_of(*opt, command, *reader, file));
  }
  return settings;
}

void print_yaml(const std::string& command, const std::string& header,
                const std::vector<Setting>& settings) {
  YAML::Emitter out;
  out << YAML::Comment(header) << YAML::BeginMap << YAML::Key << command << YAML::Value
      << YAML::BeginMap;
  for (const Setting& s : settings) {
    if (s.values.empty() && !s.list) continue;  // listed below, commented out
    out << YAML::Key << s.key << YAML::Value;
    if (s.list) {
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& v : s.values) out << v;
      out << YAML::EndSeq;
    } else {
      out << s.values.front();
    }
    out << YAML::Comment(s.source);
  }
  out << YAML::EndMap << YAML::EndMap;
  std::cout << out.c_str() << "\n";
  for (const Setting& s : settings)
    if (s.values.empty() && !s.list) std::cout << "  # " << s.key << ": (unset)\n";
}

void print_json(const std::string& command, const std::string& file, bool file_read,
                const std::vector<Setting>& settings) {
  nlohmann::json options = nlohmann::json::object();
  for (const Setting& s : settings) {
    nlohmann::json value = nullptr;
    if (s.list)
      value = s.values;
    else if (!s.values.empty())
      value = s.values.front();
    options[s.key] = {{"value", value}, {"source", s.source}};
  }
  std::cout << nlohmann::json{{"command", command},
                              {"config_file", file_read ? nlohmann::json(file) : nullptr},
                              {"options", options}}
                   .dump(2)
            << "\n";
}

}  // namespace

void register_config(CLI::App& app, int& exit_code) {
  CLI::App* config = app.add_subcommand("config", "Show the configuration the commands run with");
  config->require_subcommand(1);
  struct Flags {
    std::string command;
    std::string output = "yaml";
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* print = config->add_subcommand(
      "print",
      "Print the effective configuration of COMMAND (environment > config file > defaults) with "
      "where each value comes from; secrets are masked");
  print->add_option("command", flags->command, "run, agent, server or cluster")
      ->required()
      ->check(CLI::IsMember(kConfigurableCommands));
  print->add_option("-o,--output", flags->output, "yaml (a config file) or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  print->callback([&app, flags, &exit_code] {
    std::string file = config_path(app);
    bool file_given = app.get_config_ptr()->count() > 0;
    bool file_read = std::filesystem::is_regular_file(file);
    auto settings = effective_settings(flags->command, file, file_given);
    if (flags->output == "json") {
      print_json(flags->command, file, file_read, settings);
    } else {
      std::string header =
          "loupe " + flags->command + ": effective configuration (flags > environment > " +
          (file_read ? file : "no config file: " + file + " does not exist") + " > defaults)";
      print_yaml(flags->command, header, settings);
    }
    exit_code = kOk;
  });
}

}  // namespace loupe::cli
