// Opens the store `loupe server --store` names: the embedded SQLite store
// for "" (the default), or ClickHouse for records with SQLite beside it for
// the rest (split_store.h) for a clickhouse:// URL; with `state` (--state
// postgres://...), held batches and the Kubernetes history go there.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "store/server_state.h"
#include "store/store.h"

namespace loupe::store::clickhouse {

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
                       bool migrate, std::unique_ptr<ServerState> state = nullptr);

}  // namespace loupe::store::clickhouse
