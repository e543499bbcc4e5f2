// The latest stats report of every node agent (POST /api/v1/agents/stats),
// shown per node in /api/v1/status: what each agent captured, sent, spooled
// and dropped, and what it lost before that (ring buffer, parsers).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace loupe::server {

class AgentStatsBoard {
 public:
  static constexpr size_t kMaxNodes = 10'000;

  // Keeps the report's known counters (numbers only) as the node's latest.
  // Throws ParamError for a report without a usable node name.
  void update(const nlohmann::json& report, uint64_t now_ns);
  // {"<node>": {"exporter": {...}, "capture": {...}, "age_s": ...}, ...}
  nlohmann::json to_json(uint64_t now_ns) const;

 private:
  struct Entry {
    nlohmann::json exporter;
    nlohmann::json capture;
    uint64_t received_ns = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> nodes_;
};

}  // namespace loupe::server
