// Cluster mode's inserts (docs/storage-clickhouse.md, "Cluster mode" and
// "Writes, spool and exactly once"). An INSERT into a Distributed table is
// one part per shard: a shard dying mid-insert can leave one shard's part
// stored and another's not, and a resumed write, which asks whether its
// table holds any row of the write in the hour, would then skip the rows
// the dead shard never got. So Loupe sends every part of one write itself,
// as one INSERT per part into the local tables (`T_local`) of one shard
// (shards in turn, write by write): each part is then one part on one
// host, committed whole or not at all, as on a single server, and the
// resume's questions, asked through the Distributed tables, see all of it
// or none of it on whichever shard it went to. Reads are unchanged (the
// Distributed tables union the shards; rollup cells of one key on several
// shards are merged when read as cells of several writes are). Deleting a
// withdrawn write's rows runs on the local tables of every shard.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "store/clickhouse/cluster.h"
#include "store/clickhouse/prepared_write.h"

namespace loupe::store::clickhouse {

class ShardWrites {
 public:
  ShardWrites(Cluster cluster, ClientOptions options);

  // Inserts `parts` in order into the local tables of the next shard in
  // turn, at its first replica that can be reached (a Replicated table
  // carries them to the others). `url` is the store's. Throws Error.
  void insert(const Url& url, const std::vector<const WritePart*>& parts);
  // Runs `sql`, a statement about local tables, on one replica of each
  // shard (a mutation of a Replicated table reaches the other replicas).
  void on_each_shard(const Url& url, const std::string& sql);

 private:
  Cluster cluster_;
  ClientOptions options_;
  int shards_ = 0;
  std::atomic<unsigned> next_{0};
};

// `part`'s "table (columns)" with the local table in place of the table.
std::string local_target(const WritePart& part);

}  // namespace loupe::store::clickhouse
