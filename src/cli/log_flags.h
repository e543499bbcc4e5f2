// --logs and --logs-checkpoint, shared by `loupe run` and `loupe agent`,
// and the log collector they start (docs/logs.md).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "agent/logs/log_collector.h"

namespace loupe::cli {

struct LogFlags {
  std::vector<std::string> globs;
  std::string checkpoint;
};

// `default_globs`: what is followed without --logs (the agent: the
// kubelet's pod logs; run: nothing).
void add_log_flags(CLI::App& cmd, LogFlags& flags, std::vector<std::string> default_globs,
                   const std::string& default_checkpoint);

// The collector for the flags, delivering with `deliver`; nullptr when no
// file is to be followed (--logs none). Throws std::runtime_error when the
// checkpoint file is damaged.
// `idle`: called when nothing waits to be delivered (may be empty).
std::unique_ptr<logs::LogCollector> start_log_collector(const LogFlags& flags,
                                                        const std::string& node,
                                                        logs::Deliver deliver,
                                                        std::function<void()> idle = {});

}  // namespace loupe::cli
