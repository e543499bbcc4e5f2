#include "store/clickhouse/signal_schema.h"

#include "store/clickhouse/ddl_types.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

std::string create(std::string_view table) {
  return "CREATE TABLE IF NOT EXISTS " + std::string(table) + " (\n";
}

}  // namespace

std::vector<std::string> metric_tables_ddl(const Features& f) {
  const std::string name = name_type(f);
  // One row per series and second. The per-minute answers are folded from
  // these when read (a day of one 10 s series is 8,640 rows), so a sample
  // sent twice is counted once: reads take one value per (series, second),
  // and ReplacingMergeTree drops the repeats as parts merge.
  return {"CREATE TABLE IF NOT EXISTS " + std::string(kMetricSamplesTable) +
          " (\n"
          "  t DateTime('UTC'),\n  entity " +
          name + ",\n  name " + name + ",\n  label " + name + ",\n  metric " + name +
          ",\n  workload " + name +
          ",\n  value Float64\n"
          ") ENGINE = ReplacingMergeTree\n"
          "PARTITION BY toDate(t)\n"
          "ORDER BY (metric, entity, name, label, t)"};
}

std::vector<std::string_view> metric_tables() { return {kMetricSamplesTable}; }

std::vector<std::string> log_tables_ddl(const Features& f) {
  const std::string name = name_type(f);
  // Entries newest first over a time range is what the API asks; who wrote
  // them is filtered within that range. No token index on 18.16: searches
  // scan the range's texts (log_search.h).
  std::string logs =
      create(kLogsTable) +
      "  id UInt64,\n  time_ns UInt64,\n"
      "  time DateTime('UTC') MATERIALIZED toDateTime(intDiv(time_ns, 1000000000)),\n"
      "  node " +
      name + ",\n  source String,\n  file String,\n  namespace " + name + ",\n  pod " + name +
      ",\n  container " + name + ",\n  workload " + name +
      ",\n  pod_uid String,\n  pos UInt64,\n  level UInt8,\n  stream UInt8,\n"
      "  truncated UInt8,\n  pattern UInt32,\n  text String" +
      codec(f, "ZSTD(1)") +
      "\n) ENGINE = MergeTree\n"
      "PARTITION BY toDate(time)\n"
      "ORDER BY (time_ns, id)";
  // The workload a source was named with, per write that named it: a
  // source's is its first (log_store.cpp).
  std::string sources = create(kLogSourcesTable) + "  time DateTime('UTC'),\n  node " + name +
                        ",\n  source String,\n  workload " + name +
                        "\n) ENGINE = MergeTree\n"
                        "PARTITION BY toDate(time)\n"
                        "ORDER BY (node, source, time)";
  // Kept for ever like the embedded store's (a miner has at most 5,000).
  std::string patterns = create(kLogPatternsTable) +
                         "  id UInt32,\n  text String,\n  level UInt8,\n  first_seen_ns UInt64,\n"
                         "  example String,\n  at UInt64\n"
                         ") ENGINE = MergeTree\n"
                         "ORDER BY (id, at)";
  return {logs, sources, patterns};
}

std::vector<std::string> event_tables_ddl(const Features& f) {
  const std::string name = name_type(f);
  // One row per write of an event; the latest write of a key is the event.
  return {create(kEventsTable) + "  namespace " + name + ",\n  kind " + name + ",\n  name " + name +
          ",\n  container " + name + ",\n  reason " + name +
          ",\n  time_ns UInt64,\n"
          "  time DateTime('UTC') MATERIALIZED toDateTime(intDiv(time_ns, 1000000000)),\n"
          "  message String,\n  type " +
          name + ",\n  source " + name +
          ",\n  count Int64,\n  exit_code Int64,\n  first_ns UInt64,\n  last_ns UInt64,\n"
          "  details String,\n  at UInt64\n"
          ") ENGINE = MergeTree\n"
          "PARTITION BY toDate(time)\n"
          "ORDER BY (time_ns, namespace, name)"};
}

std::vector<std::string> profile_tables_ddl(const Features& f) {
  const std::string name = name_type(f);
  // Samples per folded chain per process per minute and write.
  return {create(kProfileSamplesTable) + "  minute DateTime('UTC'),\n  node " + name +
          ",\n  pid UInt32,\n  process " + name + ",\n  namespace " + name + ",\n  pod " + name +
          ",\n  container " + name + ",\n  workload " + name + ",\n  stack String" +
          codec(f, "ZSTD(1)") +
          ",\n  samples UInt64\n"
          ") ENGINE = MergeTree\n"
          "PARTITION BY toDate(minute)\n"
          "ORDER BY (minute, workload, process)"};
}

std::vector<std::string_view> log_tables() {
  return {kLogsTable, kLogSourcesTable, kLogPatternsTable};
}
std::vector<std::string_view> event_tables() { return {kEventsTable}; }
std::vector<std::string_view> profile_tables() { return {kProfileSamplesTable}; }

}  // namespace loupe::store::clickhouse
