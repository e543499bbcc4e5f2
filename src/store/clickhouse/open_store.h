// Opens the store `loupe server --store` names: the embedded SQLite store
// for "" (the default), or ClickHouse for records and metrics with SQLite
// beside it for the rest (split_store.h) for a clickhouse:// URL; with
// `state` (--state postgres://...), held batches and the Kubernetes history
// go there.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "store/clickhouse/spooled_writer.h"
#include "store/clickhouse/url.h"
#include "store/server_state.h"
#include "store/store.h"

namespace loupe::store::clickhouse {

class ClickHouseStore;

// ClickHouse (checked, not migrated) for what every replica shares, the
// embedded store in data_dir for the rest: the one place that decides what
// lives where. ClickHouse writes are spooled in <data_dir>/clickhouse-spool,
// at most spool_max_bytes (--spool-max). `state`, when given, keeps
// held batches and the Kubernetes history instead of the embedded store.
// `clickhouse`, when given, receives the ClickHouse side. Throws Error or
// StoreError.
std::unique_ptr<Store> open_split_store(const Url& url, const std::string& data_dir,
                                        StoreOptions options,
                                        uint64_t spool_max_bytes = kDefaultSpoolMaxBytes,
                                        std::unique_ptr<ServerState> state = nullptr,
                                        ClickHouseStore** clickhouse = nullptr);

struct OpenedStore {
  std::unique_ptr<Store> store;
  // The backend's part of /api/v1/status: kind, and for ClickHouse its URL,
  // version, schema and insert rate, latency and errors.
  std::function<nlohmann::json()> status;
};

// migrate: create or upgrade the ClickHouse schema first (--migrate);
// without it a missing or older schema is an error saying to migrate.
// Throws StoreError with one line saying what is wrong and what to do.
OpenedStore open_store(const std::string& url, const std::string& data_dir, StoreOptions options,
                       bool migrate, std::unique_ptr<ServerState> state = nullptr,
                       uint64_t spool_max_bytes = kDefaultSpoolMaxBytes);

}  // namespace loupe::store::clickhouse
