// Cluster mode (`clickhouse://HOST:8123/DB?cluster=NAME`): Loupe's tables on
// every host of a ClickHouse cluster the user already runs (remote_servers),
// as local tables (`<table>_local`) plus a `Distributed` table under the
// plain name, so the store's queries stay the same text: reads go through
// the Distributed tables; the store's writes go to one shard's local tables
// (shard_writes.h), so that a shard dying mid-insert cannot split a part.
//
// Loupe runs the DDL on each host itself over HTTP rather than `ON CLUSTER`:
// 18.16's ON CLUSTER needs ZooKeeper and <distributed_ddl>, this works with or
// without them (one way for both). The hosts are the cluster's, from
// system.clusters; each is reached at the URL's HTTP port (system.clusters
// knows only the native port). When the server has ZooKeeper configured
// (system.zookeeper exists), the local tables are Replicated*MergeTree under
// /clickhouse/tables/{shard}/DB/<table>, '{replica}' (the macros must be
// defined on every host), and statements that change data (INSERT ...
// SELECT, DROP PARTITION, REPLACE PARTITION) run on one replica per shard.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/clickhouse/client.h"

namespace loupe::store::clickhouse {

struct ClusterHost {
  int shard = 0;    // 1-based, as system.clusters numbers them
  int replica = 0;  // 1-based
  std::string host;
};

struct Cluster {
  std::string name;
  std::vector<ClusterHost> hosts;
  bool replicated = false;  // ZooKeeper configured: Replicated*MergeTree engines
};

// The URL's cluster as `client`'s server knows it. Throws Error(Kind::Schema)
// naming the clusters it does know when the name is unknown, and the missing
// macros when ZooKeeper is configured without `shard` and `replica` macros.
Cluster read_cluster(Client& client);

// The local table behind a Distributed one.
std::string local_table(std::string_view table);
// Tables each host keeps for itself, with no Distributed table: the schema
// version (check() reads the URL host's) and what the compactor did there.
bool host_local(std::string_view table);

// Where a statement runs.
enum class Hosts { Each, OnePerShard };
struct HostStatement {
  Hosts hosts;
  std::string sql;
};

// The statements that apply one single-server migration statement to the
// cluster (`database` is the URL's). Understood: CREATE TABLE IF NOT EXISTS
// T (...) ENGINE = ...; CREATE MATERIALIZED VIEW IF NOT EXISTS V TO T AS
// ... FROM S; INSERT INTO A ... FROM B; ALTER TABLE T ADD|DROP|MODIFY COLUMN;
// DROP TABLE IF EXISTS T; RENAME TABLE A TO B. Anything else throws Error(Kind::Schema): a
// migration that cluster mode does not know how to apply is a bug, not a guess.
std::vector<HostStatement> cluster_statements(const Cluster& cluster, const std::string& database,
                                              std::string_view statement);

// Runs `fn` with a client for each host of the cluster (Hosts::Each) or for
// the first replica of each shard, at `url`'s port, database and user.
void for_hosts(const Cluster& cluster, const Url& url, Hosts hosts,
               const std::function<void(Client&)>& fn, ClientOptions options = {});

}  // namespace loupe::store::clickhouse
