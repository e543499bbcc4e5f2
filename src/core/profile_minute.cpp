#include "core/profile_minute.h"

#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "core/heap_bytes.h"
#include "core/json_writer.h"

namespace loupe {
namespace {

using nlohmann::json;

// A std::map node: three pointers, colour, key, value.
constexpr size_t kMapNodeBytes = 48 + sizeof(std::string) + sizeof(uint64_t);

std::vector<std::string_view> split_chain(std::string_view chain) {
  std::vector<std::string_view> frames;
  while (true) {
    size_t semi = chain.find(';');
    frames.push_back(chain.substr(0, semi));
    if (semi == std::string_view::npos) return frames;
    chain.remove_prefix(semi + 1);
  }
}

std::string text_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) throw std::invalid_argument(std::string("\"") + key + "\" is not a string");
  return clean_frame_name(it->get_ref<const std::string&>());
}

}  // namespace

std::string profile_batch_json_text(const std::vector<ProfileMinute>& batch, const BatchKey& key) {
  // The stacks first, as frame indexes, while the frame table fills; the
  // document then puts the table before them.
  std::string frames = "[";
  std::unordered_map<std::string_view, size_t> index;
  std::string profiles = "[";
  auto number = [](std::string& out, uint64_t v) {
    char buf[20];
    out.append(buf, write_decimal(buf, v));
  };
  auto text = [](std::string& out, std::string_view name, std::string_view v) {
    out += '"';
    out += name;
    out += "\":";
    append_json_string(out, v);
    out += ',';
  };
  for (const ProfileMinute& m : batch) {
    if (profiles.size() > 1) profiles += ',';
    const ProfileEntity& e = m.entity;
    profiles += "{\"minute\":";
    number(profiles, m.minute_s);
    profiles += ",\"pid\":";
    number(profiles, e.pid);
    profiles += ',';
    text(profiles, "node", e.node);
    text(profiles, "process", e.process);
    text(profiles, "container_id", e.container_id);
    text(profiles, "pod_uid", e.pod_uid);
    text(profiles, "namespace", e.namespace_);
    text(profiles, "pod", e.pod);
    text(profiles, "container", e.container);
    text(profiles, "workload", e.workload);
    profiles += "\"stacks\":[";
    bool first_stack = true;
    for (const auto& [chain, samples] : m.stacks.stacks()) {
      profiles += first_stack ? "[[" : ",[[";
      first_stack = false;
      bool first_frame = true;
      for (std::string_view f : split_chain(chain)) {
        auto [it, fresh] = index.try_emplace(f, index.size());
        if (fresh) {
          if (it->second > 0) frames += ',';
          append_json_string(frames, f);
        }
        if (!first_frame) profiles += ',';
        first_frame = false;
        number(profiles, it->second);
      }
      profiles += "],";
      number(profiles, samples);
      profiles += ']';
    }
    profiles += "]}";
  }
  std::string out;
  out.reserve(frames.size() + profiles.size() + key.agent.size() + 80);
  out += "{\"frames\":";
  out += frames;
  out += "],\"profiles\":";
  out += profiles;
  out += "],\"batch\":{\"agent\":";
  append_json_string(out, key.agent);
  out += ",\"seq\":";
  number(out, key.seq);
  out += "}}";
  return out;
}

std::vector<ProfileMinute> profile_batch_from_json(const json& j,
                                                   const ProfileBatchLimits& limits) {
  if (!j.is_object()) throw std::invalid_argument("a profile batch is a JSON object");
  const json& frames_j = j.value("frames", json::array());
  const json& profiles_j = j.value("profiles", json::array());
  if (!frames_j.is_array() || !profiles_j.is_array())
    throw std::invalid_argument("\"frames\" and \"profiles\" must be arrays");
  if (frames_j.size() > limits.max_frames)
    throw std::invalid_argument("more than " + std::to_string(limits.max_frames) + " frames");
  std::vector<std::string> frames;
  frames.reserve(frames_j.size());
  for (const json& f : frames_j) {
    if (!f.is_string()) throw std::invalid_argument("a frame name is not a string");
    std::string name = clean_frame_name(f.get_ref<const std::string&>());
    frames.push_back(name.empty() ? "[unknown]" : std::move(name));
  }
  std::vector<ProfileMinute> out;
  size_t stacks_seen = 0;
  std::vector<std::string> chain;
  for (const json& p : profiles_j) {
    if (!p.is_object()) throw std::invalid_argument("a profile is not an object");
    ProfileMinute m;
    m.minute_s = p.value("minute", uint64_t{0}) / 60 * 60;
    m.entity.node = text_field(p, "node");
    m.entity.pid = p.value("pid", uint32_t{0});
    m.entity.process = text_field(p, "process");
    m.entity.container_id = text_field(p, "container_id");
    m.entity.pod_uid = text_field(p, "pod_uid");
    m.entity.namespace_ = text_field(p, "namespace");
    m.entity.pod = text_field(p, "pod");
    m.entity.container = text_field(p, "container");
    m.entity.workload = text_field(p, "workload");
    const json& stacks = p.value("stacks", json::array());
    if (!stacks.is_array()) throw std::invalid_argument("\"stacks\" must be an array");
    for (const json& s : stacks) {
      if (++stacks_seen > limits.max_stacks)
        throw std::invalid_argument("more than " + std::to_string(limits.max_stacks) + " stacks");
      if (!s.is_array() || s.size() != 2 || !s[0].is_array() || !s[1].is_number_unsigned())
        throw std::invalid_argument("a stack is [[frame index, ...], samples]");
      if (s[0].empty() || s[0].size() > limits.max_depth)
        throw std::invalid_argument("a stack has no frames or more than " +
                                    std::to_string(limits.max_depth));
      chain.clear();
      for (const json& i : s[0]) {
        if (!i.is_number_unsigned() || i.get<uint64_t>() >= frames.size())
          throw std::invalid_argument("a stack names a frame index not in \"frames\"");
        chain.push_back(frames[i.get<size_t>()]);
      }
      m.stacks.add(chain, s[1].get<uint64_t>());
    }
    out.push_back(std::move(m));
  }
  return out;
}

size_t memory_bytes(const ProfileMinute& m) {
  const ProfileEntity& e = m.entity;
  size_t n = sizeof(ProfileMinute) + heap_bytes(e.node) + heap_bytes(e.process) +
             heap_bytes(e.container_id) + heap_bytes(e.pod_uid) + heap_bytes(e.namespace_) +
             heap_bytes(e.pod) + heap_bytes(e.container) + heap_bytes(e.workload);
  for (const auto& [chain, samples] : m.stacks.stacks()) n += kMapNodeBytes + heap_bytes(chain);
  return n;
}

}  // namespace loupe
