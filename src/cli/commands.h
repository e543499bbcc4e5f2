// Each `loupe <command>` lives in its own file and registers itself here.
#pragma once

#include <CLI/CLI.hpp>

namespace loupe::cli {

// Exit codes every command uses (documented in docs/cli.md).
enum ExitCode : int {
  kOk = 0,
  kFailure = 1,        // runtime failure (lost server, I/O error)
  kUsage = 2,          // bad flags or arguments
  kMissingPrereq = 3,  // not root, no BTF, port in use, missing kernel feature
};

// Each `register_<name>(app, exit_code)` adds its subcommand to `app`; the
// subcommand's callback runs the command and stores its ExitCode in
// `exit_code`, which main() returns.
// Bad flags throw CLI::ValidationError (exit 2); a missing prerequisite
// (AgentError, store::StoreError, server::ApiError, whose messages say what
// to do) propagates to main(), which prints it and exits 3. cli/app.cpp
// calls every register function.
void register_trace(CLI::App& app, int& exit_code);
void register_profile(CLI::App& app, int& exit_code);
void register_agent(CLI::App& app, int& exit_code);
void register_run(CLI::App& app, int& exit_code);
void register_server(CLI::App& app, int& exit_code);
void register_query(CLI::App& app, int& exit_code);
void register_cluster(CLI::App& app, int& exit_code);
void register_alerts(CLI::App& app, int& exit_code);
void register_config(CLI::App& app, int& exit_code);
void register_doctor(CLI::App& app, int& exit_code);
void register_completion(CLI::App& app, int& exit_code);

}  // namespace loupe::cli
