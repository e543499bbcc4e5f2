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

void register_trace(CLI::App& app);

}  // namespace loupe::cli
