// Retention by dropping whole day partitions (ALTER TABLE ... DROP PARTITION
// ID), never by deleting rows: a drop is a metadata operation that frees the
// day's files at once, where a DELETE mutation would rewrite them. Every
// Loupe table is partitioned by UTC day (toDate of a DateTime('UTC')), so
// a partition id is the day as YYYYMMDD.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/clickhouse/client.h"

namespace loupe::store::clickhouse {

struct DroppedPartition {
  std::string table;
  std::string partition_id;  // YYYYMMDD
};

// Drops every partition of Loupe's tables whose whole day ends at or before
// cutoff_ns (unix ns): a day partly inside the retention window is kept.
// Partitions of one hour (YYYYMMDDHH, the rollups) go with their day.
// local_tables: the cluster host's local tables (cluster.h), where the rows are.
std::vector<DroppedPartition> drop_partitions_before(Client& client, uint64_t cutoff_ns,
                                                     bool local_tables = false);

}  // namespace loupe::store::clickhouse
