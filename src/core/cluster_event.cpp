#include "core/cluster_event.h"

#include "core/time_format.h"

namespace loupe {

nlohmann::json to_json(const ClusterEvent& e) {
  nlohmann::json j{{"time", format_rfc3339_ns(e.time_ns)},
                   {"time_ns", e.time_ns},
                   {"namespace", e.namespace_},
                   {"kind", e.kind},
                   {"name", e.name},
                   {"container", e.container},
                   {"reason", e.reason},
                   {"message", e.message},
                   {"type", e.type},
                   {"count", e.count},
                   {"exit_code", e.exit_code},
                   {"first_ns", e.first_ns},
                   {"last_ns", e.last_ns},
                   {"source", e.source}};
  if (e.details.is_object()) j["details"] = e.details;
  return j;
}

ClusterEvent cluster_event_from_json(const nlohmann::json& j) {
  ClusterEvent e;
  e.time_ns = j.value("time_ns", uint64_t{0});
  if (e.time_ns == 0) {
    if (auto t = parse_time(j.value("time", ""))) e.time_ns = *t;
  }
  e.namespace_ = j.value("namespace", "");
  e.kind = j.value("kind", "");
  e.name = j.value("name", "");
  e.container = j.value("container", "");
  e.reason = j.value("reason", "");
  e.message = j.value("message", "");
  e.type = j.value("type", "");
  e.source = j.value("source", "");
  e.count = j.value("count", int64_t{1});
  e.exit_code = j.value("exit_code", int64_t{0});
  e.first_ns = j.value("first_ns", uint64_t{0});
  e.last_ns = j.value("last_ns", uint64_t{0});
  if (auto it = j.find("details"); it != j.end() && it->is_object()) e.details = *it;
  return e;
}

}  // namespace loupe
