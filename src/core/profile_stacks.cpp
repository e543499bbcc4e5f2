#include "core/profile_stacks.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include "core/utf8.h"

namespace loupe {
namespace {

// Samples of a window, and of the baseline window of a differential profile.
struct Counts {
  uint64_t total = 0, self = 0;
  uint64_t baseline_total = 0, baseline_self = 0;
};

struct Node : Counts {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
};

// Calls `f(frame, is_leaf)` for each frame of a folded chain, root first.
template <typename F>
void for_each_frame(std::string_view chain, F f) {
  while (true) {
    size_t semi = chain.find(';');
    f(chain.substr(0, semi), semi == std::string_view::npos);
    if (semi == std::string_view::npos) return;
    chain.remove_prefix(semi + 1);
  }
}

void add_chain(Node& root, std::string_view chain, uint64_t samples, bool baseline) {
  Node* n = &root;
  (baseline ? root.baseline_total : root.total) += samples;
  for_each_frame(chain, [&](std::string_view frame, bool leaf) {
    auto it = n->children.find(frame);
    if (it == n->children.end())
      it = n->children.emplace(std::string(frame), std::make_unique<Node>()).first;
    n = it->second.get();
    (baseline ? n->baseline_total : n->total) += samples;
    if (leaf) (baseline ? n->baseline_self : n->self) += samples;
  });
}

void put_counts(nlohmann::json& j, const Counts& c, bool with_baseline) {
  j["total"] = c.total;
  j["self"] = c.self;
  if (with_baseline) {
    j["baseline_total"] = c.baseline_total;
    j["baseline_self"] = c.baseline_self;
  }
}

nlohmann::json node_json(std::string_view name, const Node& n, bool with_baseline) {
  nlohmann::json j = {{"name", name}};
  put_counts(j, n, with_baseline);
  std::vector<std::pair<std::string_view, const Node*>> kids;
  for (const auto& [child, node] : n.children) kids.emplace_back(child, node.get());
  std::stable_sort(kids.begin(), kids.end(), [](const auto& a, const auto& b) {
    return a.second->total != b.second->total ? a.second->total > b.second->total
                                              : a.second->baseline_total > b.second->baseline_total;
  });
  nlohmann::json children = nlohmann::json::array();
  for (const auto& [child, node] : kids) children.push_back(node_json(child, *node, with_baseline));
  j["children"] = std::move(children);
  return j;
}

}  // namespace

std::string clean_frame_name(std::string_view name) {
  constexpr size_t kMaxFrameBytes = 1024;
  std::string out;
  utf8::append_valid(out, name, kMaxFrameBytes);
  for (char& c : out)
    if (c == ';' || c == '\n' || c == '\r') c = '_';
  return out;
}

void ProfileStacks::add(const std::vector<std::string>& frames, uint64_t samples) {
  if (frames.empty() || samples == 0) return;
  std::string key;
  for (const std::string& f : frames) {
    if (!key.empty()) key += ';';
    key += f;
  }
  stacks_[key] += samples;
  total_ += samples;
}

void ProfileStacks::merge(const ProfileStacks& other) {
  for (const auto& [stack, samples] : other.stacks_) stacks_[stack] += samples;
  total_ += other.total_;
}

std::string ProfileStacks::to_folded() const {
  std::string out;
  for (const auto& [stack, samples] : stacks_) {
    out += stack;
    out += ' ';
    out += std::to_string(samples);
    out += '\n';
  }
  return out;
}

std::string ProfileStacks::to_folded_diff(const ProfileStacks& baseline) const {
  std::map<std::string_view, std::pair<uint64_t, uint64_t>> both;
  for (const auto& [stack, samples] : baseline.stacks_) both[stack].first += samples;
  for (const auto& [stack, samples] : stacks_) both[stack].second += samples;
  std::string out;
  for (const auto& [stack, counts] : both) {
    out.append(stack).append(" ").append(std::to_string(counts.first));
    out.append(" ").append(std::to_string(counts.second)).append("\n");
  }
  return out;
}

nlohmann::json ProfileStacks::to_json_tree(const ProfileStacks* baseline) const {
  Node root;
  for (const auto& [stack, samples] : stacks_) add_chain(root, stack, samples, false);
  if (baseline)
    for (const auto& [stack, samples] : baseline->stacks_) add_chain(root, stack, samples, true);
  return node_json("all", root, baseline != nullptr);
}

nlohmann::json ProfileStacks::to_function_table(size_t limit, const ProfileStacks* baseline) const {
  std::map<std::string_view, Counts, std::less<>> by_name;
  std::vector<std::string_view> seen;  // names of the current chain
  auto count = [&](const std::map<std::string, uint64_t>& stacks, bool is_baseline) {
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    for (const auto& chain : stacks) {
      const uint64_t samples = chain.second;
      seen.clear();
      for_each_frame(chain.first, [&](std::string_view frame, bool leaf) {
        Counts& c = by_name[frame];
        if (std::find(seen.begin(), seen.end(), frame) == seen.end()) {
          seen.push_back(frame);
          (is_baseline ? c.baseline_total : c.total) += samples;
        }
        if (leaf) (is_baseline ? c.baseline_self : c.self) += samples;
      });
    }
  };
  count(stacks_, false);
  if (baseline) count(baseline->stacks_, true);
  std::vector<std::pair<std::string_view, Counts>> rows(by_name.begin(), by_name.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second.self != b.second.self     ? a.second.self > b.second.self
           : a.second.total != b.second.total ? a.second.total > b.second.total
                                              : a.second.baseline_self > b.second.baseline_self;
  });
  if (rows.size() > limit) rows.resize(limit);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, c] : rows) {
    nlohmann::json row = {{"name", name}};
    put_counts(row, c, baseline != nullptr);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace loupe
