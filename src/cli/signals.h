// SIGINT/SIGTERM handling shared by the long-running commands.
#pragma once

#include <chrono>

namespace loupe::cli {

// Installs handlers for SIGINT and SIGTERM (and ignores SIGPIPE).
void install_stop_signals();
// True once SIGINT or SIGTERM arrived.
bool stop_requested();
// Sleeps until a stop signal arrives or `limit` passes (zero: no limit).
void wait_for_stop(std::chrono::milliseconds limit = std::chrono::milliseconds::zero());

}  // namespace loupe::cli
