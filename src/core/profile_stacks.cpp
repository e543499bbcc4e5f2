#include "core/profile_stacks.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include "core/utf8.h"

namespace loupe {
namespace {

struct Node {
  uint64_t total = 0;
  uint64_t self = 0;
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
};

nlohmann::json node_json(std::string_view name, const Node& n) {
  nlohmann::json j = {{"name", name}, {"total", n.total}, {"self", n.self}};
  std::vector<std::pair<std::string_view, const Node*>> kids;
  for (const auto& [child, node] : n.children) kids.emplace_back(child, node.get());
  std::stable_sort(kids.begin(), kids.end(),
                   [](const auto& a, const auto& b) { return a.second->total > b.second->total; });
  nlohmann::json children = nlohmann::json::array();
  for (const auto& [child, node] : kids) children.push_back(node_json(child, *node));
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

nlohmann::json ProfileStacks::to_json_tree() const {
  Node root;
  for (const auto& [stack, samples] : stacks_) {
    root.total += samples;
    Node* n = &root;
    std::string_view rest = stack;
    while (true) {
      size_t semi = rest.find(';');
      std::string_view frame = rest.substr(0, semi);
      auto it = n->children.find(frame);
      if (it == n->children.end())
        it = n->children.emplace(std::string(frame), std::make_unique<Node>()).first;
      n = it->second.get();
      n->total += samples;
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
    n->self += samples;
  }
  return node_json("all", root);
}

nlohmann::json ProfileStacks::to_function_table(size_t limit) const {
  struct Counts {
    uint64_t self = 0, total = 0;
  };
  std::map<std::string_view, Counts, std::less<>> by_name;
  std::vector<std::string_view> seen;  // names of the current chain
  for (const auto& [stack, samples] : stacks_) {
    seen.clear();
    std::string_view rest = stack;
    while (true) {
      size_t semi = rest.find(';');
      std::string_view frame = rest.substr(0, semi);
      if (std::find(seen.begin(), seen.end(), frame) == seen.end()) {
        seen.push_back(frame);
        by_name[frame].total += samples;
      }
      if (semi == std::string_view::npos) {
        by_name[frame].self += samples;
        break;
      }
      rest.remove_prefix(semi + 1);
    }
  }
  std::vector<std::pair<std::string_view, Counts>> rows(by_name.begin(), by_name.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second.self != b.second.self ? a.second.self > b.second.self
                                          : a.second.total > b.second.total;
  });
  if (rows.size() > limit) rows.resize(limit);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, c] : rows)
    out.push_back({{"name", name}, {"self", c.self}, {"total", c.total}});
  return out;
}

}  // namespace loupe
