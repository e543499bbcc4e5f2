#include "store/clickhouse/signal_schema.h"

#include "store/clickhouse/ddl_types.h"
#include "store/clickhouse/tables.h"

namespace loupe::store::clickhouse {

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

}  // namespace loupe::store::clickhouse
