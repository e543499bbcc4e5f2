#include "logs/log_entry.h"

#include <array>

#include "core/heap_bytes.h"
#include "core/json_writer.h"

namespace loupe::logs {
namespace {

constexpr std::array<std::string_view, 3> kStreams{"", "stdout", "stderr"};
constexpr std::array<std::string_view, 7> kLevels{"",     "trace", "debug", "info",
                                                  "warn", "error", "fatal"};

}  // namespace

std::string_view to_string(Stream s) { return kStreams[static_cast<size_t>(s)]; }
std::string_view to_string(Level l) { return kLevels[static_cast<size_t>(l)]; }

Stream stream_from_string(std::string_view s) {
  for (size_t i = 1; i < kStreams.size(); ++i)
    if (kStreams[i] == s) return static_cast<Stream>(i);
  return Stream::Unknown;
}

Level level_from_string(std::string_view s) {
  for (size_t i = 1; i < kLevels.size(); ++i)
    if (kLevels[i] == s) return static_cast<Level>(i);
  return Level::Unknown;
}

namespace {

// The one list of an entry's JSON fields, for the batch body and the DOM.
void write_entry(std::string& out, const Entry& e) {
  JsonObjectWriter w(out);
  w.num("time_ns", e.time_ns);
  w.str("text", e.text);
  w.str("source", e.source);
  w.num("offset", e.offset);
  auto put = [&w](const char* key, std::string_view v) {
    if (!v.empty()) w.str(key, v);
  };
  put("stream", to_string(e.stream));
  put("level", to_string(e.level));
  if (e.truncated) w.boolean("truncated", true);
  put("file", e.file);
  put("node", e.node);
  put("namespace", e.namespace_);
  put("pod", e.pod);
  put("container", e.container);
  put("workload", e.workload);
  put("pod_uid", e.pod_uid);
}

}  // namespace

nlohmann::json to_json(const Entry& e) {
  std::string out;
  write_entry(out, e);
  return nlohmann::json::parse(out);
}

std::string batch_json(const std::vector<Entry>& batch) {
  std::string out = "{\"entries\":[";
  for (const Entry& e : batch) {
    if (out.back() != '[') out += ',';
    write_entry(out, e);
  }
  out += "]}";
  return out;
}

Entry entry_from_json(const nlohmann::json& j) {
  Entry e;
  auto str = [&j](const char* key) {
    return j.contains(key) ? j.at(key).get<std::string>() : std::string();
  };
  if (j.contains("time_ns")) e.time_ns = j.at("time_ns").get<uint64_t>();
  e.stream = stream_from_string(str("stream"));
  e.level = level_from_string(str("level"));
  e.text = str("text");
  if (j.contains("truncated")) e.truncated = j.at("truncated").get<bool>();
  e.source = str("source");
  if (j.contains("offset")) e.offset = j.at("offset").get<uint64_t>();
  e.file = str("file");
  e.node = str("node");
  e.namespace_ = str("namespace");
  e.pod = str("pod");
  e.container = str("container");
  e.workload = str("workload");
  e.pod_uid = str("pod_uid");
  return e;
}

size_t memory_bytes(const Entry& e) {
  return sizeof(Entry) + heap_bytes(e.text) + heap_bytes(e.source) + heap_bytes(e.file) +
         heap_bytes(e.node) + heap_bytes(e.namespace_) + heap_bytes(e.pod) +
         heap_bytes(e.container) + heap_bytes(e.workload) + heap_bytes(e.pod_uid);
}

}  // namespace loupe::logs
