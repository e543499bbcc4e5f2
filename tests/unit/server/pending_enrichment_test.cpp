// Records wait for the cluster model to catch up with their start, so a
// pod serving in its first second is named, and are passed on anyway after
// max_wait; nothing waits on a bare host.
#include "server/pending_enrichment.h"

#include <gtest/gtest.h>

#include "cluster_model_fixture.h"
#include "pipeline/ingest_queue.h"

namespace loupe::server {
namespace {

using nlohmann::json;
using namespace testing_model;
const std::string kCid(64, 'c');

json new_pod_change(uint64_t t) {
  json pod{{"uid", "u-new"},
           {"namespace", "shop"},
           {"name", "api-new"},
           {"phase", "Running"},
           {"ips", {"10.244.9.9"}},
           {"owner_kind", "ReplicaSet"},
           {"owner_name", "api-5d9f"},
           {"labels", {{"pod-template-hash", "5d9f"}}},
           {"containers", {{{"name", "api"}, {"id", kCid}}}},
           {"start_ns", t}};
  return json::array(
      {{{"seq", 1}, {"time_ns", t}, {"op", "upsert"}, {"kind", "pod"}, {"object", pod}}});
}

Record served_by_new_pod(uint64_t t) {
  Record r;
  r.start_ns = t;
  r.end_ns = t + 1000;
  r.role = Role::Server;
  r.protocol = Protocol::Http1;
  edit(r.local_identity).container = kCid;  // what an agent sends: the container id
  r.local_addr = "10.244.9.9:8080";
  r.remote_addr = "192.0.2.7:40000";
  return r;
}

struct Fixture : ModelFixture {
  std::vector<Record> out;
  std::vector<uint64_t> released_ids;  // held batches passed on
  std::vector<size_t> passed_bytes;    // what the sink was told of each batch
  bool accept = true;                  // the ingest queue has room
  PendingEnrichment pending{model,
                            [this](std::vector<Record>&& r, uint64_t held_id, size_t bytes) {
                              if (!accept) return false;
                              passed_bytes.push_back(bytes);
                              for (auto& x : r) out.push_back(std::move(x));
                              if (held_id) released_ids.push_back(held_id);
                              return true;
                            },
                            {},
                            [this] { return now; }};
  // As the agent submits: with the records' memory counted.
  bool submit(std::vector<Record> records) {
    size_t bytes = pipeline::records_bytes(records);
    return pending.submit(std::move(records), bytes);
  }
};

TEST(PendingEnrichment, BareHostPassesStraightThrough) {
  Fixture f;
  ASSERT_TRUE(f.submit({served_by_new_pod(f.now)}));
  ASSERT_EQ(f.out.size(), 1u);
  EXPECT_EQ(f.out[0].container(), kCid) << "no model: stored as received";
}

TEST(PendingEnrichment, ARecordWaitsUntilTheModelHasSeenItsStart) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  // The pod served 1 s after it appeared, before its status reached the
  // collector: the record arrives first.
  uint64_t start = f.now + kSec;
  f.now += 1500'000'000;
  ASSERT_TRUE(f.submit({served_by_new_pod(start)}));
  EXPECT_TRUE(f.out.empty()) << "held: the model is not current to its start";
  f.now += kSec;
  f.pending.release_due();
  EXPECT_TRUE(f.out.empty()) << "still held: nothing new from the collector";
  // The collector's change arrives (sent as soon as seen).
  f.model.ingest(payload("changes", new_pod_change(start - kSec / 2)), start + 2 * kSec);
  f.pending.release_due();
  ASSERT_EQ(f.out.size(), 1u);
  EXPECT_EQ(f.out[0].pod(), "api-new");
  EXPECT_EQ(f.out[0].container(), "api");
  EXPECT_EQ(f.out[0].workload(), "Deployment/api");
  EXPECT_EQ(f.pending.stats().released, 1u);
}

TEST(PendingEnrichment, NoWordFromTheCollectorMeansMaxWaitThenWhatIsKnown) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  ASSERT_TRUE(f.submit({served_by_new_pod(f.now)}));
  f.now += 5 * kSec;
  f.pending.release_due();
  EXPECT_TRUE(f.out.empty());
  f.now += 2 * kSec;
  f.pending.release_due();
  ASSERT_EQ(f.out.size(), 1u);
  EXPECT_EQ(f.out[0].pod(), "");
  EXPECT_EQ(f.pending.stats().timed_out, 1u);
  EXPECT_EQ(f.pending.stats().held, 0u);
}

// A batch is held whole: one record the model has not caught up with
// keeps the batch's older records with it; a refused batch is not held.
TEST(PendingEnrichment, BatchesAreHeldWholeAndARefusedOneIsNotHeld) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  ASSERT_TRUE(f.submit({served_by_new_pod(f.now - 10 * kSec), served_by_new_pod(f.now)}));
  EXPECT_TRUE(f.out.empty());
  EXPECT_EQ(f.pending.stats().held, 2u);
  f.accept = false;
  EXPECT_FALSE(f.submit({served_by_new_pod(f.now - 10 * kSec)}))
      << "the model is current for it: passed on now, and refused";
  EXPECT_EQ(f.pending.stats().held, 2u);
}

// A batch the store holds (acknowledged to its agent) is passed on with
// its id, so the store removes it in the transaction that stores it.
TEST(PendingEnrichment, AStoreHeldBatchIsPassedOnWithItsId) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  f.pending.hold({.id = 7, .arrived_ns = f.now, .records = {served_by_new_pod(f.now)}});
  EXPECT_TRUE(f.released_ids.empty());
  f.now += 7 * kSec;
  f.pending.release_due();
  ASSERT_EQ(f.released_ids, std::vector<uint64_t>{7});
  EXPECT_EQ(f.out.size(), 1u);
  // Replayed after a restart long after it arrived: passed on at once.
  f.pending.hold({.id = 8, .arrived_ns = f.now - 60 * kSec, .records = {served_by_new_pod(f.now)}});
  f.pending.release_due();
  EXPECT_EQ(f.released_ids.back(), 8u);
}

// The agent's count of a batch's memory goes on with it, held or not (the
// ingest queue does not read every record again); a store-held batch's is
// counted here, once.
TEST(PendingEnrichment, ABatchsMemoryCountGoesOnWithIt) {
  Fixture f;
  ASSERT_TRUE(f.pending.submit({served_by_new_pod(f.now)}, 12345));
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  ASSERT_TRUE(f.pending.submit({served_by_new_pod(f.now)}, 777));
  EXPECT_EQ(f.passed_bytes, std::vector<size_t>{12345}) << "the second is held";
  std::vector<Record> held{served_by_new_pod(f.now), served_by_new_pod(f.now)};
  held[0].path.assign(1000, 'x');
  size_t held_bytes = pipeline::records_bytes(held);
  EXPECT_GT(held_bytes, 2 * sizeof(Record) + 1000);
  f.pending.hold({.id = 9, .arrived_ns = f.now, .records = std::move(held)});
  f.now += 7 * kSec;
  f.pending.release_due();
  EXPECT_EQ(f.passed_bytes, (std::vector<size_t>{12345, 777, held_bytes}));
}

TEST(PendingEnrichment, StopReleasesEverythingHeld) {
  Fixture f;
  f.model.ingest(payload("snapshot", empty_snapshot()), f.now);
  ASSERT_TRUE(f.submit({served_by_new_pod(f.now), served_by_new_pod(f.now)}));
  EXPECT_TRUE(f.out.empty());
  f.pending.stop();
  EXPECT_EQ(f.out.size(), 2u);
}

}  // namespace
}  // namespace loupe::server
