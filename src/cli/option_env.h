// One environment variable per long option of the long-running commands:
// `--spool-max` of `loupe agent` is also LOUPE_SPOOL_MAX. Applied to the
// command tree after every command registered its flags, so a flag added
// later gets its variable (and its config file key) with no extra code.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace loupe::cli {

// The commands whose options the environment and the config file can set.
inline const std::vector<std::string> kConfigurableCommands = {"run", "agent", "server", "cluster"};

// "spool-max" -> "LOUPE_SPOOL_MAX".
std::string env_name_for(const std::string& long_name);

// Gives every long option of the configurable commands LOUPE_<NAME>, unless
// it already reads a variable of its own.
void name_environment_variables(CLI::App& root);

// The variables that set this option's value, the generic one first, then
// older ones the code reads itself (LOUPE_TOKEN holds the token that
// --token-file would name, NODE_NAME the node, KUBECONFIG the kubeconfig).
std::vector<std::string> env_names_of(const CLI::Option& opt);

// The first of env_names_of() set to a non-empty value, or "".
std::string env_setting(const CLI::Option& opt);

}  // namespace loupe::cli
