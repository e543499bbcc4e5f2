#include "cli/option_env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

namespace loupe::cli {
namespace {

// Variables the commands read themselves, in their code, for these options.
const std::map<std::string, std::string> kOlderVariables = {
    {"token-file", "LOUPE_TOKEN"}, {"node-name", "NODE_NAME"}, {"kubeconfig", "KUBECONFIG"}};

}  // namespace

std::string env_name_for(const std::string& long_name) {
  std::string name = "LOUPE_";
  for (char c : long_name)
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

void name_environment_variables(CLI::App& root) {
  for (const std::string& command : kConfigurableCommands) {
    CLI::App* cmd = root.get_subcommand(command);
    for (CLI::Option* opt : cmd->get_options()) {
      if (opt->get_lnames().empty() || !opt->get_envname().empty()) continue;
      const std::string& name = opt->get_lnames().front();
      if (name == "help") continue;
      opt->envname(env_name_for(name));
    }
  }
}

std::vector<std::string> env_names_of(const CLI::Option& opt) {
  std::vector<std::string> names;
  if (!opt.get_envname().empty()) names.push_back(opt.get_envname());
  if (!opt.get_lnames().empty())
    if (auto it = kOlderVariables.find(opt.get_lnames().front()); it != kOlderVariables.end())
      names.push_back(it->second);
  return names;
}

std::string env_setting(const CLI::Option& opt) {
  for (const std::string& name : env_names_of(opt))
    if (const char* value = std::getenv(name.c_str()); value && *value) return name;
  return "";
}

}  // namespace loupe::cli
