// `loupe profile`: samples on-CPU stacks of this host (or one process) for a
// while and prints them as folded stacks or a JSON call tree.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "agent/profile/profiler.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "core/profile_stacks.h"

namespace loupe::cli {
namespace {

struct ProfileFlags {
  std::string format = "folded";
  uint32_t pid = 0;
  uint32_t hz = 19;
  double duration_s = 10;
};

// Named stacks are collected this often, so processes that exit during the
// run lose at most this much of their names.
constexpr auto kCollectEvery = std::chrono::seconds(2);

void add_collected(profile::Profiler& profiler, ProfileStacks& all) {
  for (const profile::ProcessProfile& p : profiler.collect())
    for (const auto& [stack, samples] : p.stacks.stacks())
      all.add({p.comm, stack}, samples);  // the process name is the root frame
}

int run_profile(const ProfileFlags& f) {
  profile::ProfilerOptions opts;
  opts.sampler.hz = f.hz;
  opts.sampler.filter_tgid = f.pid;
  profile::Profiler profiler(opts);
  install_stop_signals();
  profiler.start();
  // Named now: the process may exit before the first collection.
  if (f.pid) profiler.remember(f.pid);
  std::cerr << "loupe profile: sampling"
            << (f.pid ? " pid " + std::to_string(f.pid) : " all processes") << " at " << f.hz
            << " Hz on " << profiler.cpus() << " CPUs"
            << (f.duration_s > 0 ? " for " + std::to_string(f.duration_s) + " s"
                                 : std::string("; Ctrl-C to stop"))
            << "\n";
  ProfileStacks all;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(f.duration_s * 1000));
  while (!stop_requested()) {
    auto left = deadline - std::chrono::steady_clock::now();
    bool last = f.duration_s > 0 && left <= kCollectEvery;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        last ? left : decltype(left)(kCollectEvery));
    // wait_for_stop(0) waits for Ctrl-C: a start that took longer than
    // --duration (tables built for a big process on a busy host) must not.
    if (wait.count() > 0) wait_for_stop(wait);
    add_collected(profiler, all);
    if (last) break;
  }
  add_collected(profiler, all);

  std::string out = f.format == "json" ? all.to_json_tree().dump() + "\n" : all.to_folded();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);

  profile::SamplerCounters s = profiler.sampler_counters();
  const profile::SymbolizerCounters& y = profiler.symbolizer_counters();
  std::cerr << "loupe profile: " << all.total() << " samples in " << all.stacks().size()
            << " stacks; lost: " << s[LOUPE_PROFILE_STAT_COUNTS_FULL] << " samples (map full), "
            << s[LOUPE_PROFILE_STAT_STACKS_FULL] + s[LOUPE_PROFILE_STAT_STACK_ERRORS] +
                   s.stacks_missing
            << " stacks; " << y.frames_unresolved << " of " << y.frames << " frames unnamed, "
            << y.maps_unreadable << " processes gone before naming, " << y.elf_unreadable
            << " unreadable binaries, " << y.debug_files.loaded << " debug files read ("
            << y.debug_files.mismatched << " of another build)\n";
  return kOk;
}

}  // namespace

void register_profile(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ProfileFlags>();
  CLI::App* cmd = app.add_subcommand(
      "profile", "Sample on-CPU stacks of this host for a while and print them (needs root)");
  cmd->add_option("--format,-o", flags->format, "Output format: folded stacks or a JSON call tree")
      ->check(CLI::IsMember({"folded", "json"}))
      ->capture_default_str();
  cmd->add_option("--pid", flags->pid, "Only this process (0: every process)");
  cmd->add_option("--hz", flags->hz, "Samples per second per CPU")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--duration", flags->duration_s, "Sample for this many seconds (0: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([flags, &exit_code] { exit_code = run_profile(*flags); });
}

}  // namespace loupe::cli
