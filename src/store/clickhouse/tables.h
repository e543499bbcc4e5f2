// The names of Loupe's ClickHouse tables, in one place: the schema creates
// them, the writer fills them, check() and retention look for them.
#pragma once

#include <cstdint>
#include <string_view>

namespace loupe::store::clickhouse {

// Every table is partitioned by UTC day: a record's day is start_ns / kNsPerDay.
inline constexpr uint64_t kNsPerDay = 86'400ULL * 1'000'000'000ULL;

// Applied migrations, one row each (schema.h).
inline constexpr std::string_view kSchemaTable = "loupe_schema";
// Every request record, raw: MergeTree partitioned by UTC day, ordered by
// (service, route, time) for the dashboard's per-endpoint queries.
inline constexpr std::string_view kRequestsTable = "loupe_requests";
// Batch ids already written, so a batch sent twice is stored once (insert.h).
inline constexpr std::string_view kBatchesTable = "loupe_batches";
// Per-minute counts, errors and latency quantile states per endpoint, kept
// up to date from loupe_requests by the materialized view below.
inline constexpr std::string_view kRequestsMinuteTable = "loupe_requests_minute";
inline constexpr std::string_view kRequestsMinuteView = "loupe_requests_minute_mv";

// The tables of ClickHouseStore (schema version 3, store_schema.h): what the
// record pipeline resolved, kept as the embedded store keeps it.
// Every resolved record, raw, ordered (service, time) for the newest and
// slowest requests of one service.
inline constexpr std::string_view kRecordsTable = "loupe_records";
// Per-minute cells (count, errors, latency sum, DDSketch) of every write,
// merged when read: (service, route, method, protocol, counted) for
// services, endpoints and latency; caller -> callee for the map; workload
// -> pod for Kubernetes RED.
inline constexpr std::string_view kRecordMinuteTable = "loupe_record_minute";
inline constexpr std::string_view kEdgeMinuteTable = "loupe_edge_minute";
inline constexpr std::string_view kPodMinuteTable = "loupe_pod_minute";
// Services the resolver registered (name, kind, port, ip).
inline constexpr std::string_view kServicesTable = "loupe_services";
// Per-minute counts of what never reached the store.
inline constexpr std::string_view kLossesTable = "loupe_losses";

// What the compactor folded (compaction.h): one row per rollup partition
// (an hour) it replaced, with the rows it left; kept by each host for itself.
inline constexpr std::string_view kCompactionsTable = "loupe_compactions";

// Metric samples (schema version 5, metric_store.cpp): one row per series
// and second, the per-minute answers folded from them when read.
inline constexpr std::string_view kMetricSamplesTable = "loupe_metric_samples";

// Log entries, the workload each log source was named with, and the log
// pattern miner's patterns (schema version 6, log_store.cpp).
inline constexpr std::string_view kLogsTable = "loupe_logs";
inline constexpr std::string_view kLogSourcesTable = "loupe_log_sources";
inline constexpr std::string_view kLogPatternsTable = "loupe_log_patterns";
// Kubernetes events, one row per write (schema version 7, event_store.cpp).
inline constexpr std::string_view kEventsTable = "loupe_events";
// CPU profile samples per minute, process and chain (schema version 8,
// profile_store.cpp).
inline constexpr std::string_view kProfileSamplesTable = "loupe_profile_samples";

// The write ids whose rollup rows the compactor folded, per table and hour
// (schema version 9, compaction.h): a spooled write resumed after its hour was compacted
// finds its id here rather than on its rows (prepared_write.h).
inline constexpr std::string_view kFoldedWritesTable = "loupe_folded_writes";

// The tables partitioned by UTC day, which retention drops day by day.
inline constexpr std::string_view kDayPartitionedTables[] = {
    kRequestsTable,       kRequestsMinuteTable, kBatchesTable,    kRecordsTable,
    kRecordMinuteTable,   kEdgeMinuteTable,     kPodMinuteTable,  kLossesTable,
    kMetricSamplesTable,  kLogsTable,           kLogSourcesTable, kEventsTable,
    kProfileSamplesTable, kFoldedWritesTable};

}  // namespace loupe::store::clickhouse
