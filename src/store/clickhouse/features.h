// What Loupe uses of a ClickHouse server beyond what 18.16 (Debian 12's
// package, the oldest version Loupe supports) has, decided from
// `SELECT version()`. The thresholds are releases that are known to have
// the feature without an experimental setting; some features appeared a
// little earlier behind one, and Loupe does not turn those on. Documented in
// docs/storage-clickhouse.md.
#pragma once

#include <string>

#include "store/clickhouse/answer.h"

namespace loupe::store::clickhouse {

// The oldest server Loupe talks to: it relies on RowBinary input, gzip
// request bodies, AggregatingMergeTree with quantileTDigest states,
// materialized views writing TO a table and DROP PARTITION, all in 18.16.
inline constexpr Version kMinimumVersion{18, 16, 0};

struct Features {
  bool low_cardinality = false;  // LowCardinality(String) for repeated names (19.3)
  bool codecs = false;           // column CODEC(Delta, ZSTD) for timestamps (19.10)
  bool skip_indexes = false;     // data skipping indexes, bloom_filter on trace ids (20.1)
  bool insert_deduplication_token = false;  // the insert setting (22.2)
};

Features features_of(const Version& version);
// "LowCardinality, codecs" or "none" (for status output and logs).
std::string to_string(const Features& features);

}  // namespace loupe::store::clickhouse
