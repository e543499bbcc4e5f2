// The whole `loupe` command tree: every subcommand, the LOUPE_* variables
// and --config. main() parses it; `loupe config print` builds a second one
// to read the effective configuration without running anything.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/config_file.h"

namespace loupe::cli {

// Fills `app`; the chosen command stores its exit code in `exit_code`.
// Returns the config file reader (what it applied, for `config print`).
std::shared_ptr<YamlConfig> build_app(CLI::App& app, int& exit_code);

// A command tree that stops once flags, environment and config file are
// read, before any command's action runs (CLI11 calls pre_callback() first):
// parse() throws ParseOnlyApp::Parsed then.
class ParseOnlyApp : public CLI::App {
 public:
  struct Parsed {};
  ParseOnlyApp() : CLI::App("", "loupe") {}
  void pre_callback() override { throw Parsed{}; }
};

}  // namespace loupe::cli
