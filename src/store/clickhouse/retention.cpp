#include "store/clickhouse/retention.h"

#include <ctime>

#include "store/clickhouse/cluster.h"
#include "store/clickhouse/error.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {
namespace {

// YYYYMMDD of a UTC day given as days since the epoch.
std::string partition_id_of(uint64_t day) {
  std::time_t t = static_cast<std::time_t>(day * 86'400);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

// YYYYMMDD, or YYYYMMDDHH for an hour (which sorts after its day's id).
bool is_day_id(const std::string& id) {
  if (id.size() != 8 && id.size() != 10) return false;
  for (char c : id)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::vector<DroppedPartition> drop_partitions_before(Client& client, uint64_t cutoff_ns,
                                                     bool local_tables) {
  // The first day that still has a moment inside the window is kept.
  std::string first_kept = partition_id_of(cutoff_ns / kNsPerDay);
  std::string tables;
  for (std::string_view t : kDayPartitionedTables)
    tables += (tables.empty() ? "" : ", ") + quote_literal(local_tables ? local_table(t) : t);
  auto rows = client.select(
      "SELECT DISTINCT table, partition_id FROM system.parts WHERE database = " +
          quote_literal(client.url().database) + " AND active AND table IN (" + tables +
          ") AND partition_id < " + quote_literal(first_kept) + " ORDER BY table, partition_id",
      2);
  std::vector<DroppedPartition> dropped;
  for (auto& row : rows) {
    // Written into the ALTER below: only ids of the expected shape.
    if (!is_day_id(row[1]))
      throw Error(Error::Kind::Schema, "table " + row[0] + " has partition '" + row[1] +
                                           "', not a day or an hour: was it made by Loupe?");
    client.execute("ALTER TABLE " + row[0] + " DROP PARTITION ID " + quote_literal(row[1]));
    dropped.push_back({row[0], row[1]});
  }
  return dropped;
}

}  // namespace loupe::store::clickhouse
