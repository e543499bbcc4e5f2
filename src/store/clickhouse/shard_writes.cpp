#include "store/clickhouse/shard_writes.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "store/clickhouse/error.h"

namespace loupe::store::clickhouse {

ShardWrites::ShardWrites(Cluster cluster, ClientOptions options)
    : cluster_(std::move(cluster)), options_(options) {
  for (const ClusterHost& h : cluster_.hosts) shards_ = std::max(shards_, h.shard);
}

std::string local_target(const WritePart& part) {
  if (!part.target.starts_with(part.table))
    throw Error(Error::Kind::BadInput,
                "a write part for " + part.table + " inserts into " + part.target);
  return local_table(part.table) + part.target.substr(part.table.size());
}

void ShardWrites::insert(const Url& url, const std::vector<const WritePart*>& parts) {
  if (parts.empty()) return;
  int shard = static_cast<int>(next_++ % static_cast<unsigned>(shards_)) + 1;
  std::optional<Error> unreachable;
  for (const ClusterHost& h : cluster_.hosts) {
    if (h.shard != shard) continue;
    Url at = url;
    at.host = h.host;
    Client client(at, options_);
    try {
      for (const WritePart* part : parts) client.insert_row_binary(local_target(*part), part->body);
      return;
    } catch (const Error& e) {
      // Another replica of the shard may take them; parts this one took
      // are found by the resume's questions, as on one server.
      if (e.kind() != Error::Kind::Unreachable) throw;
      unreachable = e;
    }
  }
  if (unreachable) throw *unreachable;
  throw Error(Error::Kind::Schema,
              "cluster '" + cluster_.name + "' has no shard " + std::to_string(shard));
}

void ShardWrites::on_each_shard(const Url& url, const std::string& sql) {
  for_hosts(
      cluster_, url, Hosts::OnePerShard, [&sql](Client& c) { c.execute(sql); }, options_);
}

}  // namespace loupe::store::clickhouse
