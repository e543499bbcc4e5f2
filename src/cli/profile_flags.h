// --profile-hz and --no-profile, shared by `loupe run` and `loupe agent`,
// and the always-on profiler they start (docs/profiling.md).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "agent/profile/continuous_profiler.h"

namespace loupe::cli {

struct ContinuousProfileFlags {
  uint32_t hz = 19;
  bool off = false;
};

void add_profile_flags(CLI::App& cmd, ContinuousProfileFlags& flags);

// The running profiler, or nullptr when --no-profile or when the kernel
// refuses the sampler (said on stderr under `who`: the rest of the command
// runs without profiles).
std::unique_ptr<profile::ContinuousProfiler> start_profiler(const ContinuousProfileFlags& flags,
                                                            const std::string& node,
                                                            profile::ContinuousProfiler::Sink sink,
                                                            const std::string& who);

}  // namespace loupe::cli
