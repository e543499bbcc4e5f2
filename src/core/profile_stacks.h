// CPU profile stacks aggregated by call chain: what `loupe profile` prints
// and what the profile API answers. Two output shapes, both documented in
// docs/profiling.md: folded stacks (one "frame;frame;... count" line per
// chain, for flamegraph.pl and speedscope) and a JSON call tree.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace loupe {

// A frame name fit for both outputs: valid UTF-8 of bounded length (symbol
// names are any bytes), without ';' or line breaks (folded separators).
std::string clean_frame_name(std::string_view name);

class ProfileStacks {
 public:
  // Adds `samples` to the chain `frames` (outermost caller first), each
  // already passed through clean_frame_name().
  void add(const std::vector<std::string>& frames, uint64_t samples);
  void merge(const ProfileStacks& other);

  uint64_t total() const { return total_; }
  bool empty() const { return stacks_.empty(); }
  // Folded chain ("a;b;c") -> samples.
  const std::map<std::string, uint64_t>& stacks() const { return stacks_; }

  // "a;b;c 12\n" per chain, in chain order.
  std::string to_folded() const;
  // A differential profile as flamegraph's difffolded.pl writes it:
  // "a;b;c <baseline samples> <samples>\n" per chain of either.
  std::string to_folded_diff(const ProfileStacks& baseline) const;
  // {"name": "all", "total": N, "self": 0, "children": [...]}: every node
  // has its name, samples in it and below (total), samples in it alone
  // (self), and its callees by descending total. With a `baseline` (a
  // differential profile) every node also has `baseline_total` and
  // `baseline_self`, and chains only the baseline has are nodes too.
  nlohmann::json to_json_tree(const ProfileStacks* baseline = nullptr) const;
  // [{"name", "self", "total"}, ...]: per frame name, the samples with it
  // as leaf (self) and the samples of chains holding it (total, a recursive
  // function counted once per chain); the `limit` with the most self
  // samples, then total. With a `baseline`: `baseline_self` and
  // `baseline_total` too.
  nlohmann::json to_function_table(size_t limit, const ProfileStacks* baseline = nullptr) const;

 private:
  std::map<std::string, uint64_t> stacks_;
  uint64_t total_ = 0;
};

}  // namespace loupe
