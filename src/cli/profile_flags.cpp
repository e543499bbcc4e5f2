#include "cli/profile_flags.h"

#include <iostream>

namespace loupe::cli {

void add_profile_flags(CLI::App& cmd, ContinuousProfileFlags& flags) {
  cmd.add_option("--profile-hz", flags.hz,
                 "CPU profiling: on-CPU stacks sampled per second per CPU, always on")
      ->envname("LOUPE_PROFILE_HZ")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd.add_flag("--no-profile", flags.off, "Turn continuous CPU profiling off");
}

std::unique_ptr<profile::ContinuousProfiler> start_profiler(const ContinuousProfileFlags& flags,
                                                            const std::string& node,
                                                            profile::ContinuousProfiler::Sink sink,
                                                            const std::string& who) {
  if (flags.off) return nullptr;
  profile::ContinuousOptions opts;
  opts.profiler.sampler.hz = flags.hz;
  opts.node = node;
  auto profiler = std::make_unique<profile::ContinuousProfiler>(std::move(opts), std::move(sink));
  try {
    profiler->start();
  } catch (const std::exception& e) {
    std::cerr << who << ": CPU profiling is off: " << e.what() << " (--no-profile hides this)\n";
    return nullptr;
  }
  return profiler;
}

}  // namespace loupe::cli
