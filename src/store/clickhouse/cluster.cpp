#include "store/clickhouse/cluster.h"

#include <set>

#include "store/clickhouse/error.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

constexpr std::string_view kCreate = "CREATE TABLE IF NOT EXISTS ";
constexpr std::string_view kInsert = "INSERT INTO ";
constexpr std::string_view kDrop = "DROP TABLE IF EXISTS ";
constexpr std::string_view kRename = "RENAME TABLE ";
constexpr std::string_view kAlter = "ALTER TABLE ";
constexpr std::string_view kView = "CREATE MATERIALIZED VIEW IF NOT EXISTS ";

// How rows inserted through a Distributed table are spread over shards: the
// loss counts, and rows an older Loupe wrote (the store's writes now go to
// one shard's local tables, shard_writes.h). A rollup key's cells on one
// shard, so compaction (compaction.h) folds them into one row per key and
// minute; a batch id's rows too.
std::string sharding_key(std::string_view table) {
  if (table == kRecordMinuteTable) return "cityHash64(service)";
  if (table == kEdgeMinuteTable || table == kPodMinuteTable) return "cityHash64(a)";
  if (table == kBatchesTable) return "cityHash64(batch_id)";
  if (table == kServicesTable) return "cityHash64(name)";
  // A series' repeats on one shard, where ReplacingMergeTree drops them.
  if (table == kMetricSamplesTable) return "cityHash64(metric, entity, name, label)";
  return "rand()";
}

// The first word of `text` (a table name): up to a space, '(' or newline.
std::string_view word(std::string_view text) {
  size_t end = text.find_first_of(" (\n");
  return text.substr(0, end);
}

[[noreturn]] void unsupported(std::string_view statement) {
  throw Error(Error::Kind::Schema, "cluster mode cannot apply this migration statement: " +
                                       std::string(statement.substr(0, statement.find('\n'))));
}

std::string distribution(const Cluster& cluster, const std::string& database,
                         std::string_view table) {
  return " ENGINE = Distributed(" + cluster.name + ", " + database + ", " + local_table(table) +
         ", " + sharding_key(table) + ")";
}

// The Distributed table over local_table(table), with the columns of `ddl`
// (the single-server CREATE TABLE) where it has a MATERIALIZED column: 18.16
// would send that column to the shards on insert and fail, so here it is an
// ALIAS of the same expression (queries can still filter on it) and the
// local table computes it. Skip indexes and codecs belong to the local table.
std::string distributed_ddl(const Cluster& cluster, const std::string& database,
                            std::string_view table, std::string_view ddl = {}) {
  if (ddl.find(" MATERIALIZED ") == std::string_view::npos)
    return std::string(kCreate) + std::string(table) + " AS " + local_table(table) +
           distribution(cluster, database, table);
  size_t open = ddl.find("(\n"), close = ddl.find("\n) ENGINE");
  if (open == std::string_view::npos || close == std::string_view::npos) unsupported(ddl);
  std::string columns;
  std::string_view rest = ddl.substr(open + 2, close - open - 2);
  while (!rest.empty()) {
    size_t end = rest.find(",\n");
    std::string column(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
    if (column.find("INDEX ") == 2) continue;
    if (size_t at = column.find(" MATERIALIZED "); at != std::string::npos)
      column.replace(at, 14, " ALIAS ");
    if (size_t at = column.find(" CODEC("); at != std::string::npos) column.erase(at);
    columns += (columns.empty() ? "" : ",\n") + column;
  }
  return std::string(kCreate) + std::string(table) + " (\n" + columns + "\n)" +
         distribution(cluster, database, table);
}

// `ddl` (a CREATE TABLE of `table`) for the local table: the name with
// _local, and with ZooKeeper a Replicated engine under the table's own path.
std::string local_ddl(const Cluster& cluster, const std::string& database, std::string_view ddl,
                      std::string_view table) {
  std::string local = std::string(kCreate) + local_table(table) +
                      std::string(ddl.substr(kCreate.size() + table.size()));
  if (!cluster.replicated) return local;
  constexpr std::string_view kEngine = "ENGINE = ";
  size_t at = local.find(kEngine);
  if (at == std::string::npos) unsupported(ddl);
  size_t name_at = at + kEngine.size();
  std::string_view engine = word(std::string_view(local).substr(name_at));
  if (!engine.ends_with("MergeTree")) unsupported(ddl);
  std::string args =
      "'/clickhouse/tables/{shard}/" + database + "/" + local_table(table) + "', '{replica}'";
  size_t after = name_at + engine.size();
  if (after < local.size() && local[after] == '(')
    local.insert(after + 1, args + (local[after + 1] == ')' ? "" : ", "));
  else
    local.insert(after, "(" + args + ")");
  local.insert(name_at, "Replicated");
  return local;
}

// A question about the server, asked outside the URL's database (which
// migrate has not created yet).
std::vector<TsvRow> ask(Client& client, const std::string& sql, size_t columns) {
  return parse_tsv(client.execute_in_default(sql + " FORMAT TabSeparated"), columns);
}

}  // namespace

std::string local_table(std::string_view table) { return std::string(table) + "_local"; }

bool host_local(std::string_view table) {
  return table == kSchemaTable || table == kCompactionsTable;
}

Cluster read_cluster(Client& client) {
  const std::string& name = client.url().cluster;
  Cluster cluster{name, {}, false};
  for (auto& row : ask(client,
                       "SELECT shard_num, replica_num, host_name FROM system.clusters "
                       "WHERE cluster = " +
                           quote_literal(name) + " ORDER BY shard_num, replica_num",
                       3))
    cluster.hosts.push_back(
        {static_cast<int>(parse_uint(row[0])), static_cast<int>(parse_uint(row[1])), row[2]});
  if (cluster.hosts.empty()) {
    std::string known;
    for (auto& row :
         ask(client, "SELECT DISTINCT cluster FROM system.clusters ORDER BY cluster", 1))
      known += (known.empty() ? "" : ", ") + row[0];
    throw Error(Error::Kind::Schema,
                "ClickHouse at " + client.url().endpoint() + " has no cluster '" + name +
                    "' in its remote_servers (" +
                    (known.empty() ? std::string("it has none") : "it has: " + known) + ")");
  }
  auto zk =
      ask(client,
          "SELECT count() FROM system.tables WHERE database = 'system' AND name = 'zookeeper'", 1);
  cluster.replicated = !zk.empty() && parse_uint(zk[0][0]) > 0;
  if (cluster.replicated) {
    std::set<std::string> macros;
    for (auto& row : ask(client, "SELECT macro FROM system.macros", 1)) macros.insert(row[0]);
    for (const char* needed : {"shard", "replica"})
      if (!macros.count(needed))
        throw Error(Error::Kind::Schema,
                    "ClickHouse at " + client.url().endpoint() +
                        " has ZooKeeper, so Loupe makes Replicated tables, but no <macros> '" +
                        needed + "': define <shard> and <replica> in <macros> on every host");
  }
  return cluster;
}

std::vector<HostStatement> cluster_statements(const Cluster& cluster, const std::string& database,
                                              std::string_view statement) {
  if (statement.starts_with(kCreate)) {
    std::string_view table = word(statement.substr(kCreate.size()));
    if (host_local(table)) return {{Hosts::Each, std::string(statement)}};
    return {{Hosts::Each, local_ddl(cluster, database, statement, table)},
            {Hosts::Each, distributed_ddl(cluster, database, table, statement)}};
  }
  if (statement.starts_with(kView)) {
    // CREATE MATERIALIZED VIEW V TO T AS SELECT ... FROM S: per host, over
    // the local tables (each shard's view sees the blocks inserted there).
    std::string_view view = word(statement.substr(kView.size()));
    size_t to_at = statement.find(" TO "), from = statement.find("FROM ");
    if (to_at == std::string_view::npos || from == std::string_view::npos) unsupported(statement);
    std::string_view target = word(statement.substr(to_at + 4));
    std::string_view source = word(statement.substr(from + 5));
    std::string sql = std::string(kView) + local_table(view) + " TO " + local_table(target) +
                      std::string(statement.substr(to_at + 4 + target.size(),
                                                   from + 5 - (to_at + 4 + target.size()))) +
                      local_table(source) + std::string(statement.substr(from + 5 + source.size()));
    return {{Hosts::Each, sql}};
  }
  if (statement.starts_with(kInsert)) {
    // INSERT INTO A ... FROM B: each shard copies its own rows, once.
    std::string_view target = word(statement.substr(kInsert.size()));
    size_t from = statement.find("FROM ");
    if (from == std::string_view::npos) unsupported(statement);
    std::string_view source = word(statement.substr(from + 5));
    std::string sql = std::string(kInsert) + local_table(target) +
                      std::string(statement.substr(kInsert.size() + target.size(),
                                                   from + 5 - kInsert.size() - target.size())) +
                      local_table(source) + std::string(statement.substr(from + 5 + source.size()));
    return {{Hosts::OnePerShard, sql}};
  }
  if (statement.starts_with(kDrop)) {
    std::string_view table = word(statement.substr(kDrop.size()));
    return {{Hosts::Each, std::string(kDrop) + std::string(table)},
            {Hosts::Each, std::string(kDrop) + local_table(table)}};
  }
  if (statement.starts_with(kAlter)) {
    // ALTER TABLE T ADD|DROP|MODIFY COLUMN ...: the local table (once per
    // shard when replicated: ZooKeeper carries it to the replicas) and the
    // Distributed one over it, which must have the same columns.
    std::string_view table = word(statement.substr(kAlter.size()));
    std::string_view rest = statement.substr(kAlter.size() + table.size());
    if (!(rest.starts_with(" ADD COLUMN ") || rest.starts_with(" DROP COLUMN ") ||
          rest.starts_with(" MODIFY COLUMN ")))
      unsupported(statement);
    return {{cluster.replicated ? Hosts::OnePerShard : Hosts::Each,
             std::string(kAlter) + local_table(table) + std::string(rest)},
            {Hosts::Each, std::string(statement)}};
  }
  if (statement.starts_with(kRename)) {
    std::string_view from = word(statement.substr(kRename.size()));
    size_t to_at = statement.find(" TO ");
    if (to_at == std::string_view::npos) unsupported(statement);
    std::string_view to = word(statement.substr(to_at + 4));
    return {{Hosts::Each, std::string(kDrop) + std::string(from)},
            {Hosts::Each, std::string(kRename) + local_table(from) + " TO " + local_table(to)},
            {Hosts::Each, distributed_ddl(cluster, database, to)}};
  }
  unsupported(statement);
}

void for_hosts(const Cluster& cluster, const Url& url, Hosts hosts,
               const std::function<void(Client&)>& fn, ClientOptions options) {
  for (const ClusterHost& h : cluster.hosts) {
    if (hosts == Hosts::OnePerShard && h.replica != 1) continue;
    Url at = url;
    at.host = h.host;
    Client client(at, options);
    fn(client);
  }
}

}  // namespace loupe::store::clickhouse
