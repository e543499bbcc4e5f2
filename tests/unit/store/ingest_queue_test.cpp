#include "store/ingest_queue.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/time_format.h"
#include "temp_dir.h"

namespace loupe::store {
namespace {

// A Store whose writes block until released, to fill the queue on purpose.
class GatedStore : public Store {
 public:
  void write_batch(const std::vector<Record>& records) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
    written_ += records.size();
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  size_t written() {
    std::lock_guard lock(mu_);
    return written_;
  }
  std::vector<ServiceSummary> services(const TimeRange&) override { return {}; }
  std::vector<EndpointSummary> endpoints(const std::optional<std::string>&,
                                         const TimeRange&) override {
    return {};
  }
  std::vector<LatencyPoint> latency(const LatencyQuery&) override { return {}; }
  std::vector<StoredRequest> requests(const RequestQuery&) override { return {}; }
  StoreStats stats() override { return {}; }
  uint64_t enforce_retention(uint64_t) override { return 0; }

  std::vector<MapEdge> map(const TimeRange&) override { return {}; }
  std::vector<WorkloadSummary> workloads(const TimeRange&) override { return {}; }
  std::vector<PodSummary> pods(const std::optional<std::string>&, const TimeRange&) override {
    return {};
  }
  void write_k8s(const K8sIngest&) override {}
  std::optional<K8sHistory> k8s_history() override { return std::nullopt; }
  std::vector<ClusterEvent> events(const EventQuery&) override { return {}; }
  void write_metrics(const std::vector<MetricSample>&) override {}
  std::vector<MetricPoint> metrics(const MetricQuery&) override { return {}; }
  std::vector<MetricSeriesInfo> metric_series(const MetricSeriesQuery&) override { return {}; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  size_t written_ = 0;
};

std::vector<Record> records(size_t n) { return std::vector<Record>(n); }

TEST(IngestQueue, DropsWhenFullAndCounts) {
  GatedStore store;
  IngestOptions opts;
  opts.capacity_records = 10;
  opts.flush_interval = std::chrono::milliseconds(1);
  IngestQueue q(store, opts);
  // The first batch may already be taken by the (blocked) writer; fill the
  // queue until a push is refused.
  EXPECT_TRUE(q.push(records(4)));
  int accepted = 1;
  while (q.push(records(4))) ++accepted;
  ASSERT_LE(accepted, 4);
  EXPECT_FALSE(q.push(records(4)));
  auto st = q.stats();
  EXPECT_EQ(st.accepted, static_cast<uint64_t>(accepted) * 4);
  EXPECT_EQ(st.dropped, 8u);
  store.open();
  q.flush();
  EXPECT_EQ(store.written(), static_cast<size_t>(accepted) * 4);
  EXPECT_EQ(q.stats().written, static_cast<uint64_t>(accepted) * 4);
  EXPECT_EQ(q.stats().queued, 0u);
}

TEST(IngestQueue, WritesIntoRealStoreAndDrainsOnStop) {
  testing::TempDir dir;
  auto store = open_sqlite_store(dir.path());
  {
    IngestQueue q(*store);
    for (int i = 0; i < 10; ++i) {
      auto batch = records(100);
      for (auto& r : batch) {
        r.role = Role::Server;
        r.start_ns = r.end_ns = loupe::now_unix_ns();
      }
      ASSERT_TRUE(q.push(std::move(batch)));
    }
  }  // the destructor drains
  EXPECT_EQ(store->stats().records_stored, 1000u);
}

TEST(IngestQueue, EnforcesRetentionPeriodically) {
  testing::TempDir dir;
  StoreOptions so;
  so.retention_ns = 3600ULL * 1'000'000'000ULL;
  auto store = open_sqlite_store(dir.path(), so);
  IngestOptions io;
  io.flush_interval = std::chrono::milliseconds(5);
  io.retention_interval = std::chrono::seconds(0);  // every writer wake-up
  IngestQueue q(*store, io);
  auto batch = records(10);
  for (auto& r : batch) {
    r.role = Role::Server;
    r.start_ns = r.end_ns = loupe::now_unix_ns() - 2 * so.retention_ns;  // already expired
  }
  ASSERT_TRUE(q.push(std::move(batch)));
  q.flush();
  for (int i = 0; i < 200 && store->stats().records_stored > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(store->stats().records_stored, 0u);
  EXPECT_EQ(q.stats().written, 10u);
}

}  // namespace
}  // namespace loupe::store
