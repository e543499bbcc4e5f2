// One log entry: a line a container or process printed (or several lines
// joined into one, such as a stack trace), with its time, stream, severity
// and where it came from. The agent produces entries (src/agent/logs/), the
// server names their Kubernetes entities and the store keeps and indexes
// them (src/store/log_tables.*). JSON shape: docs/logs.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::logs {

enum class Stream : uint8_t { Unknown = 0, Stdout, Stderr };
enum class Level : uint8_t { Unknown = 0, Trace, Debug, Info, Warn, Error, Fatal };

std::string_view to_string(Stream s);
std::string_view to_string(Level l);
Stream stream_from_string(std::string_view s);  // Unknown when not recognised
Level level_from_string(std::string_view s);    // Unknown when not recognised

// The largest entry Loupe keeps: longer text (a joined CRI line, a stack
// trace, a line without end) is cut here and marked truncated.
inline constexpr size_t kMaxEntryBytes = 64 * 1024;

struct Entry {
  uint64_t time_ns = 0;  // the writer's timestamp (CRI/Docker), else when read
  Stream stream = Stream::Unknown;
  Level level = Level::Unknown;
  std::string text;  // valid UTF-8, at most kMaxEntryBytes, no trailing newline
  bool truncated = false;

  // Where it was read: the file's identity across renames (device, inode,
  // generation, fingerprint; see src/agent/logs/checkpoint.h) and the byte
  // offset of its first line. (node, source, offset) names an entry once, so
  // an entry sent twice after an agent restart is stored once.
  std::string source;
  uint64_t offset = 0;
  std::string file;  // path when read, or the unit/process writing it

  // Who wrote it. Kubernetes: from the kubelet's path and the cluster model;
  // bare host: empty except node.
  std::string node;
  std::string namespace_;
  std::string pod;
  std::string container;
  std::string workload;  // "Kind/name"
  std::string pod_uid;

  // Its pattern, set by the server (logs/pattern_miner.h); 0: none. Not sent
  // by agents.
  uint32_t pattern = 0;
};

nlohmann::json to_json(const Entry& e);
// The agent -> server batch body, {"entries": [...]} with each entry as
// to_json makes it, written directly: the log shipper's hot path, where a
// DOM per entry cost more than reading and parsing the line.
std::string batch_json(const std::vector<Entry>& batch);
// Missing keys keep their defaults; wrong types throw nlohmann::json::exception.
Entry entry_from_json(const nlohmann::json& j);

// The entry's memory cost (struct plus heap buffers), for byte budgets.
size_t memory_bytes(const Entry& e);

}  // namespace loupe::logs
