#include "agent/profile/frame_names.h"

#include <array>

#include "agent/profile/demangle.h"
#include "core/profile_stacks.h"

namespace loupe::profile {
namespace {

bool is_stack_root(std::string_view mangled) {
  static constexpr std::array<std::string_view, 13> kRoots = {"main",
                                                              "_start",
                                                              "__libc_start_main",
                                                              "__libc_start_call_main",
                                                              "start_thread",
                                                              "clone",
                                                              "clone3",
                                                              "__clone",
                                                              "__clone3",
                                                              "thread_start",
                                                              "runtime.goexit",
                                                              "runtime.mstart",
                                                              "runtime.rt0_go"};
  for (std::string_view r : kRoots)
    if (mangled == r) return true;
  return false;
}

}  // namespace

FrameNames::Frame FrameNames::find(uint32_t module, uint64_t offset) const {
  auto it = by_frame_.find(Key{offset, module});
  return it == by_frame_.end() ? Frame{} : it->second;
}

const FrameNames::Name& FrameNames::add(uint32_t module, uint64_t offset, std::string_view raw,
                                        bool symbol) {
  const Name& name = of(raw);
  by_frame_.emplace(Key{offset, module}, Frame{&name, symbol});
  return name;
}

const FrameNames::Name& FrameNames::of(std::string_view raw) {
  if (auto it = by_raw_.find(raw); it != by_raw_.end()) return *it->second;
  // Demangling cost 1.8 µs of CPU a name (Loupe's own, docs/benchmarks.md
  // "issue 14, paced2"): once per name while it is kept.
  const Name& name = names_.emplace_back(Name{clean_frame_name(demangle(raw)), is_stack_root(raw)});
  by_raw_.emplace(std::string(raw), &name);
  return name;
}

void FrameNames::trim() {
  // ~4,096 names of ~100-300 bytes (a host's hot frames, within ~2 MiB)
  // and the offsets that name them.
  constexpr size_t kMaxNames = 4096, kMaxFrames = 16384;
  if (names_.size() <= kMaxNames && by_frame_.size() <= kMaxFrames) return;
  by_frame_.clear();
  by_raw_.clear();
  names_.clear();
}

}  // namespace loupe::profile
