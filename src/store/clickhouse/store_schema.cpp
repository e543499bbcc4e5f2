#include "store/clickhouse/store_schema.h"

#include "store/clickhouse/ddl_types.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

std::string create(std::string_view table) {
  return "CREATE TABLE IF NOT EXISTS " + std::string(table) + " (\n";
}

std::string records_ddl(const Features& f) {
  const std::string name = name_type(f);
  std::string ddl =
      create(kRecordsTable) +
      "  id UInt64,\n"
      "  start_ns UInt64" +
      codec(f, "Delta, ZSTD(1)") +
      ",\n"
      "  end_ns UInt64,\n"
      "  time DateTime('UTC') MATERIALIZED toDateTime(intDiv(start_ns, 1000000000)),\n"
      "  service " +
      name + ",\n  counted UInt8,\n  caller " + name + ",\n  route " + name +
      ",\n  protocol UInt8,\n  role UInt8,\n  tls UInt8,\n  pid UInt32,\n  tid "
      "UInt32,\n  comm " +
      name + ",\n  local_addr String,\n  remote_addr String,\n  method " + name +
      ",\n  path String" + codec(f, "ZSTD(1)") + ",\n  host " + name +
      ",\n  status Int32,\n  error UInt8,\n  error_code " + name + ",\n  error_message String" +
      codec(f, "ZSTD(1)") + ",\n  detail String" + codec(f, "ZSTD(1)") +
      ",\n  trace_id String,\n  req_bytes UInt64,\n  resp_bytes UInt64";
  for (std::string_view k8s :
       {"node", "namespace", "pod", "container", "workload", "k8s_service", "remote_namespace",
        "remote_pod", "remote_workload", "remote_service"})
    ddl += ",\n  " + std::string(k8s) + " " + name;
  if (f.skip_indexes) ddl += ",\n  INDEX trace_id_index trace_id TYPE bloom_filter GRANULARITY 4";
  return ddl +
         "\n) ENGINE = MergeTree\n"
         "PARTITION BY toDate(time)\n"
         "ORDER BY (service, time)";
}

// count, errors, latency sum and DDSketch of one key's minute, as one write saw it.
constexpr std::string_view kCellColumns =
    "  requests UInt64,\n  errors UInt64,\n  sum_ns UInt64,\n  sketch String\n";

std::string record_minute_ddl(const Features& f, std::string_view table,
                              std::string_view partition) {
  const std::string name = name_type(f);
  return create(table) + "  minute DateTime('UTC'),\n  service " + name + ",\n  route " + name +
         ",\n  method " + name + ",\n  protocol UInt8,\n  counted UInt8,\n" +
         std::string(kCellColumns) + ") ENGINE = MergeTree\nPARTITION BY " +
         std::string(partition) + "\nORDER BY " +
         rollup_order_by(kRecordMinuteTable, RollupLayout::Minutes);
}

// a -> b per minute: caller -> callee (the map), workload -> pod.
std::string pair_minute_ddl(const Features& f, std::string_view table, std::string_view partition) {
  const std::string name = name_type(f);
  return create(table) + "  minute DateTime('UTC'),\n  a " + name + ",\n  a_kind " + name +
         ",\n  b " + name + ",\n  b_kind " + name + ",\n  protocol UInt8,\n" +
         std::string(kCellColumns) + ") ENGINE = MergeTree\nPARTITION BY " +
         std::string(partition) + "\nORDER BY " +
         rollup_order_by(kEdgeMinuteTable, RollupLayout::Minutes);
}

constexpr std::string_view kDayPartition = "toDate(minute)";

std::string services_ddl(const Features& f) {
  const std::string name = name_type(f);
  // Registered again by every replica that meets the service: read DISTINCT.
  return create(kServicesTable) + "  name " + name + ",\n  kind " + name +
         ",\n  port UInt16,\n  ip String,\n  at DateTime('UTC') DEFAULT now()\n"
         ") ENGINE = ReplacingMergeTree\n"
         "ORDER BY (name, port, kind, ip)";
}

std::string losses_ddl() {
  return create(kLossesTable) +
         "  minute DateTime('UTC'),\n  records UInt64,\n  events UInt64\n"
         ") ENGINE = MergeTree\n"
         "PARTITION BY toDate(minute)\n"
         "ORDER BY minute";
}

std::string compactions_ddl() {
  return create(kCompactionsTable) +
         "  table String,\n  partition_id String,\n  rows_before UInt64,\n  rows "
         "UInt64,\n  at DateTime('UTC') DEFAULT now()\n"
         ") ENGINE = MergeTree\nORDER BY (table, partition_id)";
}

}  // namespace

std::vector<std::string> store_tables_ddl(const Features& f) {
  return {records_ddl(f),
          record_minute_ddl(f, kRecordMinuteTable, kDayPartition),
          pair_minute_ddl(f, kEdgeMinuteTable, kDayPartition),
          pair_minute_ddl(f, kPodMinuteTable, kDayPartition),
          services_ddl(f),
          losses_ddl()};
}

std::vector<std::string_view> store_tables() {
  return {kRecordsTable,   kRecordMinuteTable, kEdgeMinuteTable,
          kPodMinuteTable, kServicesTable,     kLossesTable};
}

std::string rollup_order_by(std::string_view table, RollupLayout layout) {
  if (layout == RollupLayout::Minutes)
    return table == kRecordMinuteTable ? "(service, minute, route)" : "(minute, a, b)";
  return table == kRecordMinuteTable ? "(span, service, route, minute)" : "(span, a, b, minute)";
}

std::vector<std::string> rollups_by_hour_ddl(const Features& f) {
  std::vector<std::string> out;
  for (std::string_view table : {kRecordMinuteTable, kEdgeMinuteTable, kPodMinuteTable}) {
    // Built beside the old table, filled from it, then put in its place.
    const std::string by_hour = std::string(table) + "_by_hour";
    out.push_back(table == kRecordMinuteTable ? record_minute_ddl(f, by_hour, kHourPartition)
                                              : pair_minute_ddl(f, by_hour, kHourPartition));
    out.push_back("INSERT INTO " + by_hour + " SELECT * FROM " + std::string(table));
    out.push_back("DROP TABLE IF EXISTS " + std::string(table));
    out.push_back("RENAME TABLE " + by_hour + " TO " + std::string(table));
  }
  out.push_back(compactions_ddl());
  return out;
}

std::vector<std::string> hour_cells_ddl(const Features&) {
  std::vector<std::string> out;
  for (std::string_view table : {kRecordMinuteTable, kEdgeMinuteTable, kPodMinuteTable}) {
    const std::string t(table);
    out.push_back("ALTER TABLE " + t + " ADD COLUMN span UInt8 DEFAULT " +
                  std::to_string(kMinuteSpan));
    out.push_back("ALTER TABLE " + t + " ADD COLUMN active UInt64 DEFAULT 0");
    // Built beside the old table with its columns (whatever earlier
    // migrations added), filled from it, then put in its place, as in
    // migration 4; a name of its own, since with ZooKeeper a table's path
    // keeps the name it was made with.
    const std::string next = t + "_v10";
    out.push_back("CREATE TABLE IF NOT EXISTS " + next + " AS " + t + " ENGINE = MergeTree " +
                  rollup_engine_tail(table));
    out.push_back("INSERT INTO " + next + " SELECT * FROM " + t);
    out.push_back("DROP TABLE IF EXISTS " + t);
    out.push_back("RENAME TABLE " + next + " TO " + t);
  }
  // Every finished hour is folded again, now with its hour cells.
  out.push_back("DROP TABLE IF EXISTS " + std::string(kCompactionsTable));
  out.push_back(compactions_ddl());
  return out;
}

std::string rollup_engine_tail(std::string_view table) {
  return "PARTITION BY " + std::string(kHourPartition) + " ORDER BY " + rollup_order_by(table) +
         " SETTINGS " + std::string(kRollupSettings);
}

}  // namespace loupe::store::clickhouse
