// What the continuous profiler's symbolizer (agent/profile/symbolizer.h)
// costs in CPU, apart from the BPF sampler and the host's other processes:
// live child processes of one program (by default python3 with ssl loaded:
// its binary, libc, libm, libz, libssl, libcrypto and the rest), each
// given the same stacks of addresses in its own mappings, named as the
// profiler names a round's stacks. Three figures, each the median of
// --repeat fresh symbolizers:
// - cold: the first process, its files' ELF symbols read;
// - new process: one more process of the same program (a new pid, its
//   files already read): what every process that starts on a host costs;
// - steady round: the same process named again, its maps unchanged.
//
//   sudo build/bench/symbolizer_bench [--processes N] [--stacks N] [--repeat N]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "agent/profile/proc_maps.h"
#include "agent/profile/symbolizer.h"
#include "core/small_file.h"
#include "cpu_time.h"

extern char** environ;

namespace {

using loupe::profile::Frames;
using loupe::profile::Mapping;
using loupe::profile::Symbolizer;

struct Options {
  int processes = 8;
  int stacks = 150;  // a quiet host's round at 19 Hz on 2 CPUs: ~150-190
  int depth = 16;
  int repeat = 9;
};

pid_t spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
    std::perror("posix_spawnp");
    std::exit(1);
  }
  return pid;
}

std::vector<Mapping> file_mappings(pid_t pid) {
  auto text = loupe::read_small_file("/proc/" + std::to_string(pid) + "/maps");
  std::vector<Mapping> out;
  if (!text) return out;
  for (Mapping& m : loupe::profile::parse_proc_maps(*text))
    if (!m.path.empty() && m.path.front() == '/') out.push_back(std::move(m));
  return out;
}

// A stack as (mapping index, offset in it) pairs, leaf first: the same
// code in every process of the program, wherever its libraries landed.
using Shape = std::vector<std::pair<size_t, uint64_t>>;

std::vector<Shape> shapes(const std::vector<Mapping>& maps, const Options& o) {
  std::mt19937_64 rng(14);
  std::vector<Shape> out(o.stacks);
  for (Shape& s : out)
    for (int i = 0; i < o.depth; ++i) {
      size_t m = rng() % maps.size();
      s.emplace_back(m, rng() % (maps[m].end - maps[m].start));
    }
  return out;
}

std::vector<std::vector<uint64_t>> stacks_of(const std::vector<Mapping>& maps,
                                             const std::vector<Shape>& shapes) {
  std::vector<std::vector<uint64_t>> out;
  for (const Shape& s : shapes) {
    std::vector<uint64_t> ips;
    for (auto [m, offset] : s) ips.push_back(maps[m].start + offset + (ips.empty() ? 0 : 1));
    out.push_back(std::move(ips));
  }
  return out;
}

// CPU ms to name every stack of `pid` in one round of `s`.
double name_round(Symbolizer& s, uint32_t pid, const std::vector<std::vector<uint64_t>>& stacks,
                  size_t* frames_out) {
  double t0 = loupe::bench::thread_cpu_s();
  s.new_round();
  s.process_name(pid);
  size_t frames = 0;
  for (const auto& ips : stacks) {
    Frames out;
    s.add_user_frames(pid, ips, false, out);
    frames += out.size();
  }
  *frames_out += frames;
  return (loupe::bench::thread_cpu_s() - t0) * 1e3;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--processes")
      o.processes = std::max(2, value);
    else if (flag == "--stacks")
      o.stacks = std::max(1, value);
    else if (flag == "--repeat")
      o.repeat = std::max(1, value);
    else {
      std::fprintf(stderr, "usage: %s [--processes N] [--stacks N] [--repeat N]\n", argv[0]);
      return 2;
    }
  }
  std::vector<pid_t> children;
  for (int i = 0; i < o.processes; ++i)
    children.push_back(spawn(
        {"/usr/bin/python3", "-c", "import ssl, hashlib, json, sqlite3, time; time.sleep(600)"}));
  auto stop_children = [&children] {
    for (pid_t pid : children) kill(pid, SIGKILL);
    for (pid_t pid : children) waitpid(pid, nullptr, 0);
  };
  // The program's mappings are the same files in every child, in the same
  // order, once each has loaded its libraries: a shape names the same code
  // in each.
  std::vector<std::vector<Mapping>> maps;
  for (int wait = 0; wait < 100; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    maps.clear();
    for (pid_t pid : children) maps.push_back(file_mappings(pid));
    bool alike = !maps[0].empty();
    for (const auto& m : maps) alike = alike && m.size() == maps[0].size();
    if (alike && wait >= 5) break;
    maps.clear();
  }
  if (maps.empty()) {
    std::fprintf(stderr, "the children did not come to map the same files\n");
    stop_children();
    return 1;
  }
  std::vector<Shape> shape = shapes(maps[0], o);
  std::vector<std::vector<std::vector<uint64_t>>> stacks;
  for (const auto& m : maps) stacks.push_back(stacks_of(m, shape));

  std::vector<double> cold, fresh, steady;
  size_t frames_cold = 0, frames_new = 0, frames_steady = 0;
  for (int r = 0; r < o.repeat; ++r) {
    Symbolizer s;
    cold.push_back(name_round(s, children[0], stacks[0], &frames_cold));
    std::vector<double> per_process;
    for (size_t c = 1; c < children.size(); ++c)
      per_process.push_back(name_round(s, children[c], stacks[c], &frames_new));
    fresh.push_back(median(per_process));
    std::vector<double> rounds;
    for (int k = 0; k < 5; ++k)
      rounds.push_back(name_round(s, children.back(), stacks.back(), &frames_steady));
    steady.push_back(median(rounds));
  }
  stop_children();

  size_t per_round = frames_cold / o.repeat;
  std::printf("%zu mappings, %d stacks of %d frames a round (%zu frames named), median of %d\n",
              maps[0].size(), o.stacks, o.depth, per_round, o.repeat);
  std::printf("| round | CPU ms | µs per frame |\n|---|---|---|\n");
  std::printf("| cold (files read) | %.2f | %.2f |\n", median(cold),
              median(cold) * 1e3 / per_round);
  std::printf("| new process | %.3f | %.3f |\n", median(fresh), median(fresh) * 1e3 / per_round);
  std::printf("| steady | %.3f | %.3f |\n", median(steady), median(steady) * 1e3 / per_round);
  return 0;
}
