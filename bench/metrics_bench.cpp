// Cost of resource-metrics sampling on this host: ticks of the agent's
// MetricsSampler (node + every cgroup it finds), CPU time per tick and the
// open file descriptors before and after. bench/metrics_bench.sh creates the
// cgroups (300 containers) first. Usage: metrics_bench [--ticks N] [--interval-s S]
#include <dirent.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent/metrics/metrics_sampler.h"

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

int open_fds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n - 1;  // the directory stream itself
}

}  // namespace

int main(int argc, char** argv) {
  int ticks = 30;
  double interval_s = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ticks")) ticks = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--interval-s")) interval_s = std::atof(argv[i + 1]);
  }
  loupe::metrics::MetricsOptions opts;
  opts.node = "bench";
  opts.mounts = loupe::metrics::host_cgroup_mounts();
  opts.trace_oom = false;
  size_t samples = 0;
  loupe::metrics::MetricsSampler sampler(
      opts, [&samples](std::vector<loupe::MetricSample>& s, std::vector<loupe::OomKill>&) {
        samples += s.size();
      });
  sampler.tick();  // baselines; the first tick reads the same files
  int fds_before = open_fds();
  samples = 0;
  double cpu0 = thread_cpu_ms();
  for (int i = 0; i < ticks; ++i) sampler.tick();
  double per_tick_ms = (thread_cpu_ms() - cpu0) / ticks;
  int fds_after = open_fds();
  auto status = sampler.status();
  std::printf("cgroups sampled per tick: %llu\n",
              static_cast<unsigned long long>(status["cgroups"].get<uint64_t>()));
  std::printf("samples per tick: %zu\n", samples / static_cast<size_t>(ticks));
  std::printf("CPU per tick: %.2f ms\n", per_tick_ms);
  std::printf("share of one core at a %.0f s interval: %.3f%%\n", interval_s,
              per_tick_ms / (interval_s * 1e3) * 100);
  std::printf("open fds before / after %d ticks: %d / %d\n", ticks, fds_before, fds_after);
  std::printf("vanished / malformed cgroups: %llu / %llu\n",
              static_cast<unsigned long long>(status["cgroups_vanished"].get<uint64_t>()),
              static_cast<unsigned long long>(status["cgroups_malformed"].get<uint64_t>()));
  return fds_after == fds_before ? 0 : 1;
}
