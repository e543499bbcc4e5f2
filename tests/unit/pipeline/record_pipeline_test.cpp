// The record pipeline around a store: what it hands the store, when it
// reads the store's seed again, and what the observers see.
#include "pipeline/record_pipeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../support/null_store.h"

namespace loupe::pipeline {
namespace {

// Keeps the names of the services it was asked to register; can fail; has
// a seed and a seed generation the test sets.
class RecordingStore : public testing::NullStore {
 public:
  void write_batch(const store::ResolvedBatch& batch, store::IngestBookkeeping*) override {
    if (fail) throw store::StoreError("database or disk is full");
    for (const auto& s : batch.new_services) registered.push_back(s.name);
    rows += batch.rows.size();
  }
  store::ResolverSeed resolver_seed() override {
    ++seeds_read;
    return seed;
  }
  uint64_t seed_generation() override { return generation; }

  bool fail = false;
  store::ResolverSeed seed;
  uint64_t generation = 0;
  int seeds_read = 0;
  size_t rows = 0;
  std::vector<std::string> registered;
};

class Names : public store::RecordObserver {
 public:
  void observe(const store::ObservedRecord& r) override {
    seen.push_back(std::string(r.service.name) + " " + std::string(r.caller) + " " +
                   std::string(r.route));
  }
  std::vector<std::string> seen;
};

Record served(const std::string& local, const std::string& route = "/x") {
  Record r;
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.pid = 7;
  r.comm = "api";
  r.local_addr = local;
  r.remote_addr = "203.0.113.1:5000";
  r.route = route;
  return r;
}

TEST(RecordPipeline, AFailedWriteStartsAgainFromWhatTheStoreHolds) {
  RecordingStore st;
  RecordPipeline pipe(st);
  EXPECT_EQ(st.seeds_read, 1);
  st.fail = true;
  EXPECT_THROW(pipe.write({served("10.0.0.1:80")}), store::StoreError);
  EXPECT_EQ(st.seeds_read, 2);
  // The service the failed write would have registered is registered by
  // the next one: the resolver forgot it with the rolled-back batch.
  st.fail = false;
  pipe.write({served("10.0.0.1:80")});
  EXPECT_EQ(st.registered, std::vector<std::string>{"api:80"});
  pipe.write({served("10.0.0.1:80")});
  EXPECT_EQ(st.registered.size(), 1u) << "known now";
}

TEST(RecordPipeline, ReadsTheSeedAgainWhenTheStoreForgotNames) {
  RecordingStore st;
  RecordPipeline pipe(st);
  pipe.write({served("10.0.0.1:80")});
  pipe.write({served("10.0.0.1:80")});
  EXPECT_EQ(st.seeds_read, 1);
  EXPECT_EQ(st.registered.size(), 1u);
  st.generation = 1;  // e.g. retention dropped api:80, no row used it any more
  pipe.write({served("10.0.0.1:80")});
  EXPECT_EQ(st.seeds_read, 2);
  EXPECT_EQ(st.registered.size(), 2u) << "registered again";
}

TEST(RecordPipeline, ObserversSeeCommittedRecordsWithTheirNames) {
  RecordingStore st;
  Names names;
  RecordPipeline pipe(st, {.resolve = {.max_routes_per_service = 1}, .observer = &names});
  pipe.write({served("10.0.0.1:80", "/a"), served("10.0.0.1:80", "/b")});
  EXPECT_EQ(names.seen, (std::vector<std::string>{"api:80 external:203.0.113.1 /a",
                                                  "api:80 external:203.0.113.1 {other}"}));
  st.fail = true;
  EXPECT_THROW(pipe.write({served("10.0.0.1:80", "/a")}), store::StoreError);
  EXPECT_EQ(names.seen.size(), 2u) << "nothing uncommitted is observed";
  pipe.write(std::vector<Record>{});
  EXPECT_EQ(st.rows, 2u);
}

}  // namespace
}  // namespace loupe::pipeline
