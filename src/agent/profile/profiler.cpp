#include "agent/profile/profiler.h"

#include <map>

#include "core/burst_yield.h"

namespace loupe::profile {

std::vector<ProcessProfile> Profiler::collect() {
  std::vector<RawStack> raw = sampler_.drain();
  symbolizer_.new_round();
  for (const RawStack& s : raw) symbolizer_.expect_kernel_frames(s.kernel);
  std::map<uint32_t, ProcessProfile> by_pid;
  for (const RawStack& s : raw) {
    burst_point();  // a new program's symbols take ms to load (core/burst_yield.h)
    auto [it, fresh] = by_pid.try_emplace(s.tgid);
    ProcessProfile& p = it->second;
    if (fresh) {
      p.pid = s.tgid;
      // The process's name; the sampled thread's when it has exited.
      p.comm = symbolizer_.process_name(s.tgid);
      if (p.comm.empty()) p.comm = s.comm;
      p.comm = clean_frame_name(p.comm);
    }
    Frames frames;
    if (s.user_lost) frames.emplace_back("[lost stack]");
    symbolizer_.add_user_frames(s.tgid, s.user, s.user_truncated, frames);
    if (s.kernel_lost) frames.emplace_back("[lost stack]_[k]");
    symbolizer_.add_kernel_frames(s.kernel, frames);
    if (frames.empty()) frames.emplace_back("[no stack]");
    p.stacks.add(frames, s.samples);
  }
  std::vector<ProcessProfile> out;
  out.reserve(by_pid.size());
  for (auto& [pid, p] : by_pid) out.push_back(std::move(p));
  return out;
}

}  // namespace loupe::profile
