#include "agent/profile/kernel_frames.h"

#include <algorithm>

#include "core/profile_stacks.h"  // clean_frame_name

namespace loupe::profile {
namespace {

constexpr size_t kMaxShownFrames = 4096;
constexpr std::string_view kUnknown = "[unknown]_[k]";

// The address a frame is named by: the sampled instruction for the leaf,
// the byte before a return address for its callers (the call, which a
// tail call may leave as the last instruction of a function).
uint64_t named_address(const std::vector<uint64_t>& ips, size_t i) {
  return i == 0 ? ips[i] : ips[i] - 1;
}

}  // namespace

void KernelFrames::expect(const std::vector<uint64_t>& ips) {
  for (size_t i = 0; i < ips.size(); ++i) {
    uint64_t addr = named_address(ips, i);
    if (!shown_.contains(addr)) expected_.push_back(addr);
  }
}

size_t KernelFrames::add(const std::vector<uint64_t>& ips, std::vector<std::string>& out) {
  if (!expected_.empty()) name_expected();
  size_t unknown = 0;
  for (size_t i = ips.size(); i-- > 0;) {
    uint64_t addr = named_address(ips, i);
    auto it = shown_.find(addr);
    if (it == shown_.end()) {  // not expected: named on its own
      expected_.push_back(addr);
      name_expected();
      it = shown_.find(addr);
    }
    if (it->second == kUnknown) ++unknown;
    out.push_back(it->second);
  }
  return unknown;
}

void KernelFrames::name_expected() {
  std::sort(expected_.begin(), expected_.end());
  expected_.erase(std::unique(expected_.begin(), expected_.end()), expected_.end());
  std::erase_if(expected_, [&](uint64_t addr) { return shown_.contains(addr); });
  if (shown_.size() + expected_.size() > kMaxShownFrames) shown_.clear();
  std::vector<std::string> names = look_up(expected_);
  for (size_t i = 0; i < expected_.size(); ++i)
    shown_.emplace(expected_[i],
                   names[i].empty() ? std::string(kUnknown) : clean_frame_name(names[i]) + "_[k]");
  expected_.clear();
}

std::vector<std::string> KernelFrames::look_up(const std::vector<uint64_t>& addrs) {
  if (use_lookup_ && !lookup_tried_) {
    lookup_tried_ = true;
    lookup_ = KernelNameLookup::load();
  }
  std::vector<std::string> names;
  names.reserve(addrs.size());
  if (lookup_ && lookup_->name(addrs, names)) return names;
  lookup_.reset();  // a run failed: kallsyms from now on
  if (!kallsyms_) kallsyms_ = KernelSymbols::read(kallsyms_path_);
  for (uint64_t addr : addrs) names.emplace_back(kallsyms_->lookup(addr));
  return names;
}

}  // namespace loupe::profile
