#include "store/clickhouse/open_store.h"

#include <iostream>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/schema.h"
#include "store/split_store.h"

namespace loupe::store::clickhouse {
namespace {

nlohmann::json to_json(const SpoolStatus& s) {
  return {{"dir", s.dir},
          {"writes", s.writes},
          {"records", s.records},
          {"bytes", s.bytes},
          {"max_bytes", s.max_bytes},
          {"replayed_writes", s.replayed_writes},
          {"replay_sends", s.replay_sends},
          {"refused_writes", s.refused_writes},
          {"refused_records", s.refused_records},
          {"unreadable_files", s.unreadable_files}};
}

nlohmann::json to_json(const ClickHouseStatus& s) {
  double writes = static_cast<double>(s.writes);
  return {
      {"kind", "clickhouse"},
      {"url", s.url},
      {"server_version", s.version},
      {"features", s.features},
      {"schema_version", s.schema_version},
      {"writes", s.writes},
      {"records_written", s.rows_written},
      {"write_errors", s.write_errors},
      {"write_ms_mean", s.writes ? static_cast<double>(s.write_ns_total) / writes / 1e6 : 0.0},
      {"write_ms_last", static_cast<double>(s.write_ns_last) / 1e6},
      {"records_per_s_while_writing", s.write_ns_total ? static_cast<double>(s.rows_written) * 1e9 /
                                                             static_cast<double>(s.write_ns_total)
                                                       : 0.0},
      {"cluster", s.cluster.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.cluster)},
      {"compaction",
       {{"hours", s.compacted_hours},
        {"rows_before", s.compacted_rows_before},
        {"rows_after", s.compacted_rows_after}}},
      {"last_error", s.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_error)},
      {"spool", s.spool ? to_json(*s.spool) : nlohmann::json(nullptr)}};
}

}  // namespace

std::unique_ptr<Store> open_split_store(const Url& url, const std::string& data_dir,
                                        StoreOptions options, uint64_t spool_max_bytes,
                                        std::unique_ptr<ServerState> state,
                                        ClickHouseStore** clickhouse) {
  auto shared = std::make_unique<ClickHouseStore>(
      url, options, SpoolOptions{data_dir + "/clickhouse-spool", spool_max_bytes});
  ClickHouseStore* ch = shared.get();
  if (clickhouse) *clickhouse = ch;
  // Held batches and the Kubernetes metadata history stay embedded (or in
  // `state` when given).
  return std::make_unique<SplitStore>(
      std::move(shared), open_sqlite_store(data_dir, options),
      SharedSignals{.metrics = ch, .logs = ch, .events = ch, .profiles = ch}, std::move(state));
}

OpenedStore open_store(const std::string& url, const std::string& data_dir, StoreOptions options,
                       bool migrate, std::unique_ptr<ServerState> state, uint64_t spool_max_bytes) {
  if (url.empty()) {
    if (migrate && !state)
      throw StoreError(
          "--migrate is for a --store clickhouse:// or --state postgres:// URL; the embedded "
          "store migrates itself");
    auto sqlite = open_sqlite_store(data_dir, options);
    auto status = [] { return nlohmann::json{{"kind", "sqlite"}}; };
    if (!state) return {std::move(sqlite), status};
    return {
        std::make_unique<SplitStore>(nullptr, std::move(sqlite), SharedSignals{}, std::move(state)),
        status};
  }
  try {
    Url parsed = parse_url(url);
    if (migrate) {
      Client client(parsed);
      MigrateResult m = clickhouse::migrate(client, features_of(client.server_version()));
      std::cerr << "loupe: ClickHouse database '" << parsed.database << "' at " << parsed.endpoint()
                << ": schema version " << m.from_version << " -> " << m.to_version
                << (m.created_database ? " (database created)" : "") << "\n";
    }
    ClickHouseStore* ch = nullptr;
    auto store =
        open_split_store(parsed, data_dir, options, spool_max_bytes, std::move(state), &ch);
    return {std::move(store), [ch] { return to_json(ch->status()); }};
  } catch (const Error& e) {
    throw StoreError(e.what());
  }
}

}  // namespace loupe::store::clickhouse
