// ClickHouseStore's Kubernetes events: one row per write of an event in
// loupe_events (signal_schema.cpp); an event is its key (namespace, kind,
// name, container, reason, time_ns) and, as the embedded store's
// INSERT OR REPLACE keeps it, the fields of its latest write.
#include <chrono>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

constexpr std::string_view kEventColumns =
    "namespace, kind, name, container, reason, time_ns, message, type, source, count, "
    "exit_code, first_ns, last_ns, details, at";

}  // namespace

void ClickHouseStore::write_events(const std::vector<ClusterEvent>& events) {
  if (events.empty()) return;
  // Which write is the latest: wall-clock nanoseconds, then the order in the write.
  uint64_t at = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  RowBinaryWriter out;
  for (const ClusterEvent& e : events) {
    for (const std::string* f : {&e.namespace_, &e.kind, &e.name, &e.container, &e.reason})
      out.string(*f);
    out.uint64(e.time_ns);
    for (const std::string* f : {&e.message, &e.type, &e.source}) out.string(*f);
    out.int64(e.count);
    out.int64(e.exit_code);
    out.uint64(e.first_ns);
    out.uint64(e.last_ns);
    out.string(e.details.is_object() ? e.details.dump() : std::string());
    out.uint64(at++);
  }
  // An event's newest row (by `at`) is the event: the spool may send
  // these rows again.
  store_write(idempotent_write(kEventsTable, kEventColumns, out.take(), events.size()));
}

std::vector<ClusterEvent> ClickHouseStore::events(const EventQuery& q) {
  if (q.limit == 0) return {};
  uint64_t from = std::max(q.range.from_ns, retention_cutoff_ns_.load());
  std::string sql =
      "SELECT namespace, kind, name, container, reason, time_ns, argMax(message, at), "
      "argMax(type, at) AS t, argMax(source, at), argMax(count, at), argMax(exit_code, at), "
      "argMax(first_ns, at), argMax(last_ns, at), argMax(details, at) FROM " +
      std::string(kEventsTable) + " WHERE time_ns >= " + std::to_string(from) + " AND time_ns < " +
      std::to_string(q.range.to_ns);
  if (q.namespace_) sql += " AND namespace = " + quote_literal(*q.namespace_);
  if (q.object) sql += " AND name = " + quote_literal(*q.object);
  if (q.reason) sql += " AND reason = " + quote_literal(*q.reason);
  sql += " GROUP BY namespace, kind, name, container, reason, time_ns";
  if (q.type) sql += " HAVING t = " + quote_literal(*q.type);
  sql += " ORDER BY time_ns DESC LIMIT " + std::to_string(q.limit);
  return with_client([&sql](Client& c) {
    std::vector<ClusterEvent> out;
    for (auto& r : c.select(sql, 14)) {
      ClusterEvent e;
      size_t i = 0;
      for (std::string* f : {&e.namespace_, &e.kind, &e.name, &e.container, &e.reason})
        *f = std::move(r[i++]);
      e.time_ns = parse_uint(r[i++]);
      for (std::string* f : {&e.message, &e.type, &e.source}) *f = std::move(r[i++]);
      e.count = parse_int(r[i++]);
      e.exit_code = parse_int(r[i++]);
      e.first_ns = parse_uint(r[i++]);
      e.last_ns = parse_uint(r[i++]);
      if (!r[i].empty())
        e.details = nlohmann::json::parse(r[i], nullptr, /*allow_exceptions=*/false);
      if (e.details.is_discarded()) e.details = nullptr;
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace loupe::store::clickhouse
