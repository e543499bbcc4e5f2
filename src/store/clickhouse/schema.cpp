#include "store/clickhouse/schema.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "store/clickhouse/cluster.h"
#include "store/clickhouse/ddl_types.h"
#include "store/clickhouse/error.h"
#include "store/clickhouse/signal_schema.h"
#include "store/clickhouse/store_schema.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

std::vector<std::string> v1_requests_and_batches(const Features& f) {
  const std::string name = name_type(f);
  std::string requests =
      "CREATE TABLE IF NOT EXISTS " + std::string(kRequestsTable) +
      " (\n"
      "  start_ns UInt64" +
      codec(f, "Delta, ZSTD(1)") +
      ",\n"
      "  time DateTime('UTC') MATERIALIZED toDateTime(intDiv(start_ns, "
      "1000000000)),\n"
      "  duration_ns UInt64" +
      codec(f, "ZSTD(1)") + ",\n  protocol " + name + ",\n  role " + name +
      ",\n  tls UInt8,\n  pid UInt32,\n  tid UInt32,\n  comm " + name +
      ",\n  local_addr String,\n  remote_addr String,\n  method " + name + ",\n  path String" +
      codec(f, "ZSTD(1)") + ",\n  route " + name + ",\n  host " + name +
      ",\n  status Int32,\n  error UInt8,\n  error_code " + name + ",\n  error_message String" +
      codec(f, "ZSTD(1)") + ",\n  detail String" + codec(f, "ZSTD(1)") + ",\n  trace_id String" +
      ",\n  req_bytes UInt64,\n  resp_bytes UInt64,\n  node " + name + ",\n  namespace " + name +
      ",\n  pod " + name + ",\n  container " + name + ",\n  workload " + name + ",\n  service " +
      name + ",\n  remote_namespace " + name + ",\n  remote_pod " + name + ",\n  remote_workload " +
      name + ",\n  remote_service " + name + ",\n  batch_id String";
  if (f.skip_indexes)
    requests += ",\n  INDEX trace_id_index trace_id TYPE bloom_filter GRANULARITY 4";
  requests +=
      "\n) ENGINE = MergeTree\n"
      "PARTITION BY toDate(time)\n"
      "ORDER BY (service, route, time)";
  std::string batches = "CREATE TABLE IF NOT EXISTS " + std::string(kBatchesTable) +
                        " (\n"
                        "  batch_id String,\n"
                        "  state UInt8,\n"
                        "  rows UInt64,\n"
                        "  at DateTime('UTC') DEFAULT now()\n"
                        ") ENGINE = MergeTree\n"
                        "PARTITION BY toDate(at)\n"
                        "ORDER BY (batch_id, state)";
  return {requests, batches};
}

// The per-minute aggregate of loupe_requests: what the view inserts for
// every block written to loupe_requests, and what the migration backfills.
std::string minute_select() {
  return "SELECT toStartOfMinute(time) AS minute, service, route, role, protocol, method,\n"
         "  countState() AS requests, sumState(toUInt64(error)) AS errors,\n"
         "  quantileTDigestState(duration_ns) AS latency\n"
         "FROM " +
         std::string(kRequestsTable) + "\nGROUP BY minute, service, route, role, protocol, method";
}

std::vector<std::string> v2_requests_minute(const Features& f) {
  const std::string name = name_type(f);
  std::string table = "CREATE TABLE IF NOT EXISTS " + std::string(kRequestsMinuteTable) +
                      " (\n"
                      "  minute DateTime('UTC'),\n  service " +
                      name + ",\n  route " + name + ",\n  role " + name + ",\n  protocol " + name +
                      ",\n  method " + name +
                      ",\n"
                      "  requests AggregateFunction(count),\n"
                      "  errors AggregateFunction(sum, UInt64),\n"
                      "  latency AggregateFunction(quantileTDigest, UInt64)\n"
                      ") ENGINE = AggregatingMergeTree\n"
                      "PARTITION BY toDate(minute)\n"
                      "ORDER BY (service, route, minute, role, protocol, method)";
  std::string view = "CREATE MATERIALIZED VIEW IF NOT EXISTS " + std::string(kRequestsMinuteView) +
                     " TO " + std::string(kRequestsMinuteTable) + " AS\n" + minute_select();
  // Rows stored before this migration (migrate runs with no writer).
  std::string backfill =
      "INSERT INTO " + std::string(kRequestsMinuteTable) + "\n" + minute_select();
  return {table, view, backfill};
}

// The write id on every rollup row, batch key and profile sample row: what
// a retried write looks for to skip the tables that hold it already, and
// to tell its own batch keys from another replica's (prepared_write.h).
// (Records and log entries carry it in their ids.) Rows written before
// have 0, which no write id is; so have the rows compaction folds, whose
// write ids it notes in loupe_folded_writes first.
std::vector<std::string> write_ids_ddl(const Features&) {
  std::vector<std::string> statements;
  for (std::string_view table :
       {kRecordMinuteTable, kEdgeMinuteTable, kPodMinuteTable, kBatchesTable, kProfileSamplesTable})
    statements.push_back("ALTER TABLE " + std::string(table) +
                         " ADD COLUMN write_id UInt64 DEFAULT 0");
  statements.push_back("CREATE TABLE IF NOT EXISTS " + std::string(kFoldedWritesTable) +
                       " (\n  table String,\n  hour DateTime('UTC'),\n  write_id UInt64\n"
                       ") ENGINE = MergeTree\nPARTITION BY toDate(hour)\n"
                       "ORDER BY (table, hour, write_id)");
  return statements;
}

// The write id on loss rows too, which go through the spool since (summed
// when read: a resumed write must find its own rows, prepared_write.h).
std::vector<std::string> loss_write_ids_ddl(const Features&) {
  return {"ALTER TABLE " + std::string(kLossesTable) + " ADD COLUMN write_id UInt64 DEFAULT 0"};
}

const std::vector<Migration> kMigrations = {
    {1, "request records and batch ids", v1_requests_and_batches},
    {2, "per-minute request aggregates", v2_requests_minute},
    {3, "the store's resolved records, rollups, services and losses", store_tables_ddl},
    {4, "rollups partitioned by hour for compaction; loupe_compactions", rollups_by_hour_ddl},
    {5, "metric samples", metric_tables_ddl},
    {6, "log entries, their sources' workloads and log patterns", log_tables_ddl},
    {7, "Kubernetes events", event_tables_ddl},
    {8, "CPU profile samples", profile_tables_ddl},
    {9,
     "write ids on rollup rows, batch keys and profile samples; loupe_folded_writes "
     "(exactly-once retries)",
     write_ids_ddl},
    {10, "hour cells beside the rollups' minute cells; rollups keyed by span, finer granules",
     hour_cells_ddl},
    {11, "write ids on loss rows (losses through the spool)", loss_write_ids_ddl},
};

// Functions Loupe's SQL calls that a build might lack (and the input format).
constexpr std::string_view kRequiredFunctions[] = {
    "version",  "toDate", "toDateTime", "toStartOfMinute", "intDiv",
    "toUInt64", "count",  "sum",        "quantileTDigest", "positionCaseInsensitive",
    "argMax",   "any",    "argMin",     "match",           "lowerUTF8",
    "concat"};

std::string schema_table_ddl() {
  return "CREATE TABLE IF NOT EXISTS " + std::string(kSchemaTable) +
         " (\n"
         "  version UInt32,\n"
         "  description String,\n"
         "  loupe_version String,\n"
         "  applied_at DateTime('UTC') DEFAULT now()\n"
         ") ENGINE = MergeTree ORDER BY version";
}

std::set<std::string> tables_in(Client& client) {
  std::set<std::string> names;
  for (auto& row : client.select("SELECT name FROM system.tables WHERE database = " +
                                     quote_literal(client.url().database),
                                 1))
    names.insert(row[0]);
  return names;
}

int stored_version(Client& client) {
  auto rows = client.select("SELECT max(version) FROM " + std::string(kSchemaTable), 1);
  return rows.empty() ? 0 : static_cast<int>(std::min<uint64_t>(parse_uint(rows[0][0]), 1 << 30));
}

// What to do about a missing or old schema.
std::string migrate_hint() { return "run loupe server --store URL --migrate once"; }

[[noreturn]] void schema_error(const Client& client, const std::string& what) {
  throw Error(Error::Kind::Schema, "ClickHouse database '" + client.url().database + "' at " +
                                       client.url().endpoint() + ": " + what);
}

// Asked outside the database: the URL's database may not exist yet.
bool database_exists(Client& client) {
  auto rows = parse_tsv(
      client.execute_in_default("SELECT count() FROM system.databases WHERE name = " +
                                quote_literal(client.url().database) + " FORMAT TabSeparated"),
      1);
  return rows.size() == 1 && parse_uint(rows[0][0]) > 0;
}

}  // namespace

const std::vector<Migration>& migrations() { return kMigrations; }
int schema_version() { return kMigrations.back().version; }

std::vector<std::string_view> tables_at(int version) {
  std::vector<std::string_view> tables;
  if (version >= 1) {
    tables.push_back(kSchemaTable);
    tables.push_back(kRequestsTable);
    tables.push_back(kBatchesTable);
  }
  if (version >= 2) {
    tables.push_back(kRequestsMinuteTable);
    tables.push_back(kRequestsMinuteView);
  }
  if (version >= 3)
    for (std::string_view t : store_tables()) tables.push_back(t);
  if (version >= 4) tables.push_back(kCompactionsTable);
  if (version >= 5)
    for (std::string_view t : metric_tables()) tables.push_back(t);
  if (version >= 6)
    for (std::string_view t : log_tables()) tables.push_back(t);
  if (version >= 7)
    for (std::string_view t : event_tables()) tables.push_back(t);
  if (version >= 8)
    for (std::string_view t : profile_tables()) tables.push_back(t);
  if (version >= 9) tables.push_back(kFoldedWritesTable);
  return tables;
}

MigrateResult migrate(Client& client, const Features& features, int target) {
  if (target == 0) target = schema_version();
  std::optional<Cluster> cluster;
  if (!client.url().cluster.empty()) cluster = read_cluster(client);
  // The URL's server, or every host of the cluster.
  auto on_every_host = [&](const std::function<void(Client&)>& fn) {
    if (cluster)
      for_hosts(*cluster, client.url(), Hosts::Each, fn);
    else
      fn(client);
  };
  auto apply = [&](const std::string& statement) {
    if (!cluster) {
      client.execute(statement);
      return;
    }
    for (const HostStatement& hs : cluster_statements(*cluster, client.url().database, statement))
      for_hosts(*cluster, client.url(), hs.hosts, [&hs](Client& c) { c.execute(hs.sql); });
  };
  MigrateResult result;
  on_every_host([&result](Client& c) {
    if (!database_exists(c)) {
      c.execute_in_default("CREATE DATABASE IF NOT EXISTS " + c.url().database);
      result.created_database = true;
    }
    c.execute(schema_table_ddl());
  });
  result.from_version = stored_version(client);
  if (result.from_version > schema_version())
    schema_error(client, "schema version " + std::to_string(result.from_version) +
                             " was made by a newer Loupe (this one knows up to " +
                             std::to_string(schema_version()) + "): upgrade Loupe");
  result.to_version = result.from_version;
  for (const Migration& m : kMigrations) {
    if (m.version <= result.from_version || m.version > target) continue;
    for (const std::string& statement : m.statements(features)) apply(statement);
    on_every_host([&m](Client& c) {
      c.execute("INSERT INTO " + std::string(kSchemaTable) +
                " (version, description, loupe_version) VALUES (" + std::to_string(m.version) +
                ", " + quote_literal(m.description) + ", " + quote_literal(LOUPE_VERSION) + ")");
    });
    result.to_version = m.version;
  }
  return result;
}

void check(Client& client) {
  if (!client.url().cluster.empty()) read_cluster(client);  // an unknown cluster, named
  if (!database_exists(client)) schema_error(client, "does not exist; " + migrate_hint());
  std::set<std::string> tables = tables_in(client);
  if (!tables.count(std::string(kSchemaTable))) {
    if (tables.empty()) schema_error(client, "is empty (no Loupe schema); " + migrate_hint());
    schema_error(client, "has tables but no " + std::string(kSchemaTable) +
                             ": it was not made by Loupe (or by a Loupe before schema versions); "
                             "use a new database");
  }
  int version = stored_version(client);
  if (version < schema_version())
    schema_error(client, "has schema version " + std::to_string(version) +
                             ", made by an older Loupe; this one needs version " +
                             std::to_string(schema_version()) + ": " + migrate_hint());
  if (version > schema_version())
    schema_error(client, "has schema version " + std::to_string(version) +
                             ", made by a newer Loupe (this one knows up to " +
                             std::to_string(schema_version()) + "): upgrade Loupe");
  std::string missing;
  auto need = [&](const std::string& t) {
    if (!tables.count(t)) missing += (missing.empty() ? "" : ", ") + t;
  };
  for (std::string_view t : tables_at(version)) {
    if (client.url().cluster.empty() || host_local(t)) {
      need(std::string(t));
      continue;
    }
    need(local_table(t));  // and the Distributed table over it (a view has none)
    if (t != kRequestsMinuteView) need(std::string(t));
  }
  if (!missing.empty())
    schema_error(client, "is at schema version " + std::to_string(version) + " but lacks " +
                             missing + " (dropped by hand?): restore it or migrate a new database");
  std::string names;
  for (std::string_view f : kRequiredFunctions)
    names += (names.empty() ? "" : ", ") + quote_literal(f);
  std::set<std::string> present;
  for (auto& row :
       client.select("SELECT name FROM system.functions WHERE name IN (" + names + ")", 1))
    present.insert(row[0]);
  std::string lacking;
  for (std::string_view f : kRequiredFunctions)
    if (!present.count(std::string(f))) lacking += (lacking.empty() ? "" : ", ") + std::string(f);
  if (!lacking.empty())
    throw Error(Error::Kind::Schema, "ClickHouse at " + client.url().endpoint() +
                                         " lacks functions Loupe's queries use: " + lacking);
}

}  // namespace loupe::store::clickhouse
