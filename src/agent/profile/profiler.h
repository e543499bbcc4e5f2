// Continuous CPU profiling: the BPF stack sampler plus the symbolizer.
// Each collect() drains what was sampled since the previous one and returns
// it named, per process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/profile/stack_sampler.h"
#include "agent/profile/symbolizer.h"
#include "core/profile_stacks.h"

namespace loupe::profile {

struct ProfilerOptions {
  SamplerOptions sampler;
  SymbolizerOptions symbols;
};

struct ProcessProfile {
  uint32_t pid = 0;
  std::string comm;
  ProfileStacks stacks;  // frames outermost first; kernel frames end in "_[k]"
};

class Profiler {
 public:
  explicit Profiler(ProfilerOptions opts) : sampler_(opts.sampler), symbolizer_(opts.symbols) {}

  // Throws AgentError (see StackSampler::start).
  void start() { sampler_.start(); }
  int cpus() const { return sampler_.cpus(); }
  // See Symbolizer::remember.
  void remember(uint32_t tgid) { symbolizer_.remember(tgid); }

  // The stacks sampled since the last call, named. Call every few seconds:
  // a process that exits before its first collection (and was not
  // remembered) keeps its samples, but its frames can no longer be named
  // (one "[process exited]" frame).
  std::vector<ProcessProfile> collect();

  SamplerCounters sampler_counters() const { return sampler_.counters(); }
  const SymbolizerCounters& symbolizer_counters() const { return symbolizer_.counters(); }

 private:
  StackSampler sampler_;
  Symbolizer symbolizer_;
};

}  // namespace loupe::profile
