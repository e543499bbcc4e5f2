// The stores the conformance suite (conformance_*_test.cpp) runs against:
// "sqlite" always, "clickhouse" when LOUPE_TEST_CLICKHOUSE names a server
// (clickhouse://HOST:PORT/DB?user=&password_file=, as `loupe server --store`
// takes it; tests/e2e/test_clickhouse_store.sh starts one and sets it). Each
// test gets an empty store of its own: a fresh directory, or a fresh
// database (the URL's name plus a random suffix, dropped afterwards, on
// every host of the URL's cluster if it names one) with the embedded store
// beside it for what ClickHouse does not keep (SplitStore, as
// clickhouse::open_split_store arranges it for the server).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "store/clickhouse/clickhouse_store.h"
#include "store/clickhouse/cluster.h"
#include "store/clickhouse/open_store.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/tables.h"
#include "store/split_store.h"
#include "store/store.h"
#include "temp_dir.h"

namespace loupe::store::testing {

class TestBackend {
 public:
  virtual ~TestBackend() = default;
  virtual Store& store() = 0;
  // Closes the store and opens it again on the same data (a restart).
  virtual void reopen(StoreOptions options = {}) = 0;
  // Rows of the per-minute rollup of services and endpoints, for a backend
  // that keeps one per write and folds them (ClickHouse); nullopt otherwise.
  virtual std::optional<uint64_t> rollup_rows() { return std::nullopt; }
  // Shards the rows are spread over (ClickHouse's cluster mode): compaction
  // leaves one row per key, minute and shard (storage-clickhouse.md).
  virtual uint64_t shards() { return 1; }
};

class SqliteBackend : public TestBackend {
 public:
  explicit SqliteBackend(StoreOptions options) { reopen(options); }
  Store& store() override { return *store_; }
  void reopen(StoreOptions options) override {
    store_.reset();
    store_ = open_sqlite_store(dir_.path(), options);
  }

 private:
  loupe::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

class ClickHouseBackend : public TestBackend {
 public:
  ClickHouseBackend(const std::string& url, StoreOptions options)
      : url_(clickhouse::parse_url(url)) {
    url_.database += "_" + std::to_string(std::random_device{}() % 1'000'000'000);
    clickhouse::Client client(url_);
    clickhouse::migrate(client, clickhouse::features_of(client.server_version()));
    reopen(options);
  }
  ~ClickHouseBackend() override {
    store_.reset();
    try {
      clickhouse::Client client(url_);
      auto drop = [this](clickhouse::Client& c) {
        c.execute_in_default("DROP DATABASE IF EXISTS " + url_.database);
      };
      if (url_.cluster.empty())
        drop(client);
      else  // every host of the cluster has it
        clickhouse::for_hosts(clickhouse::read_cluster(client), url_, clickhouse::Hosts::Each,
                              drop);
    } catch (const std::exception&) {
      // A test database left behind is harmless: the server is the test's own.
    }
  }
  Store& store() override { return *store_; }
  std::optional<uint64_t> rollup_rows() override {
    auto rows = clickhouse::Client(url_).select(
        "SELECT count() FROM " + std::string(clickhouse::kRecordMinuteTable), 1);
    return rows.empty() ? 0 : clickhouse::parse_uint(rows[0][0]);
  }
  uint64_t shards() override {
    if (url_.cluster.empty()) return 1;
    clickhouse::Client client(url_);
    uint64_t n = 0;
    for (const auto& host : clickhouse::read_cluster(client).hosts)
      n = std::max<uint64_t>(n, static_cast<uint64_t>(host.shard));
    return n;
  }
  void reopen(StoreOptions options) override {
    store_.reset();
    // As the server opens it: writes go through a spool in the directory.
    store_ = clickhouse::open_split_store(url_, dir_.path(), options);
  }

 private:
  clickhouse::Url url_;
  loupe::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

inline const char* clickhouse_test_url() { return std::getenv("LOUPE_TEST_CLICKHOUSE"); }

// "sqlite", plus "clickhouse" when the environment names a server.
inline std::vector<std::string> backend_names() {
  std::vector<std::string> names{"sqlite"};
  if (const char* url = clickhouse_test_url(); url && *url) names.push_back("clickhouse");
  return names;
}

inline std::unique_ptr<TestBackend> open_backend(const std::string& name,
                                                 StoreOptions options = {}) {
  if (name == "clickhouse")
    return std::make_unique<ClickHouseBackend>(clickhouse_test_url(), options);
  return std::make_unique<SqliteBackend>(options);
}

}  // namespace loupe::store::testing
