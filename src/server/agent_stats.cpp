#include "server/agent_stats.h"

#include "server/api_params.h"

namespace loupe::server {
namespace {

using nlohmann::json;

// The counters an agent reports (agent/exporter.h, cli/agent_command.cpp);
// anything else in a report is ignored, so a report cannot grow the server.
constexpr const char* kExporterKeys[] = {"captured",     "inherited",   "sent",
                                         "queued",       "spooled",     "dropped",
                                         "queued_bytes", "spool_bytes", "failures"};
constexpr const char* kDropKeys[] = {"memory_full", "spool_full", "corrupt_spool", "at_exit",
                                     "rejected"};
constexpr const char* kCaptureKeys[] = {"events_seen", "ring_buffer_drops", "payloads_truncated",
                                        "records", "parse_errors"};
constexpr const char* kLossKeys[] = {"undetected", "parse_error", "resync"};
// The log collector's (agent/logs/log_collector.h), under capture.logs.
constexpr const char* kLogKeys[] = {"files_followed",    "bytes_per_second",   "bytes_read",
                                    "entries",           "entries_sent",       "waiting_entries",
                                    "delivery_failures", "rotations",          "truncations",
                                    "resumed",           "rotated_while_down", "lost_while_down",
                                    "lines_cut",         "entries_truncated",  "invalid_utf8",
                                    "open_errors",       "skipped_file_limit", "checkpoint_errors",
                                    "entries_replayed",  "spooled_entries",    "spool_bytes"};
constexpr const char* kLogDropKeys[] = {"line_too_long",   "entry_too_long",   "partial_unfinished",
                                        "lost_while_down", "unreadable_paths", "file_limit_paths",
                                        "spool_full",      "spool_corrupt"};
// The paths the collector cannot follow, and why (at most this many, each
// string cut to kMaxText bytes).
constexpr size_t kMaxNotFollowed = 16;
constexpr size_t kMaxText = 512;
constexpr size_t kMaxNodeName = 253;  // a DNS name, like a Kubernetes node name

template <size_t N>
json numbers(const json& from, const char* const (&keys)[N]) {
  json out = json::object();
  if (!from.is_object()) return out;
  for (const char* k : keys)
    if (auto it = from.find(k); it != from.end() && it->is_number_integer() && *it >= 0)
      out[k] = it->get<uint64_t>();
  return out;
}

json not_followed(const json& from) {
  json out = json::array();
  if (!from.is_array()) return out;
  for (const json& p : from) {
    if (out.size() >= kMaxNotFollowed) break;
    if (!p.is_object()) continue;
    json item = json::object();
    for (const char* k : {"path", "reason", "error"})
      if (auto it = p.find(k); it != p.end() && it->is_string())
        item[k] = it->get<std::string>().substr(0, kMaxText);
    out.push_back(std::move(item));
  }
  return out;
}

// capture.logs: its counters, drops by reason and what is not followed.
json log_stats(const json& from) {
  json out = numbers(from, kLogKeys);
  if (!from.is_object()) return out;
  out["dropped"] = numbers(from.value("dropped", json::object()), kLogDropKeys);
  if (from.contains("not_followed")) out["not_followed"] = not_followed(from["not_followed"]);
  return out;
}

}  // namespace

void AgentStatsBoard::update(const json& report, uint64_t now_ns) {
  if (!report.is_object() || !report.contains("node") || !report["node"].is_string())
    throw ParamError("node", "a stats report needs \"node\" (string)");
  std::string node = report["node"].get<std::string>();
  if (node.empty() || node.size() > kMaxNodeName)
    throw ParamError("node", "node must be 1-253 characters");
  for (unsigned char c : node)
    if (c < 0x21 || c > 0x7e) throw ParamError("node", "node must be printable ASCII");
  Entry e;
  const json& exporter = report.value("exporter", json::object());
  e.exporter = numbers(exporter, kExporterKeys);
  if (exporter.is_object())
    e.exporter["dropped_by_reason"] =
        numbers(exporter.value("dropped_by_reason", json::object()), kDropKeys);
  const json& capture = report.value("capture", json::object());
  e.capture = numbers(capture, kCaptureKeys);
  if (capture.is_object())
    e.capture["lost_connections"] =
        numbers(capture.value("lost_connections", json::object()), kLossKeys);
  if (capture.is_object() && capture.contains("logs"))
    e.capture["logs"] = log_stats(capture["logs"]);
  e.received_ns = now_ns;
  std::lock_guard lock(mu_);
  if (!nodes_.contains(node) && nodes_.size() >= kMaxNodes) {
    auto oldest = nodes_.begin();
    for (auto it = nodes_.begin(); it != nodes_.end(); ++it)
      if (it->second.received_ns < oldest->second.received_ns) oldest = it;
    nodes_.erase(oldest);
  }
  nodes_[node] = std::move(e);
}

json AgentStatsBoard::to_json(uint64_t now_ns) const {
  json out = json::object();
  std::lock_guard lock(mu_);
  for (const auto& [node, e] : nodes_)
    out[node] = {{"exporter", e.exporter},
                 {"capture", e.capture},
                 {"age_s", now_ns > e.received_ns ? (now_ns - e.received_ns) / 1'000'000'000 : 0}};
  return out;
}

}  // namespace loupe::server
