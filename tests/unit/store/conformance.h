// The storage conformance suite: the same records in, the same answers out
// of every Store backend (store_backends.h). Each TEST_P runs once per
// backend; the expectations are the embedded store's answers, written out.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/record_limits.h"
#include "pipeline/record_pipeline.h"
#include "store_backends.h"

namespace loupe::store::testing {

inline constexpr uint64_t kSec = 1'000'000'000ULL;
inline constexpr uint64_t kMs = 1'000'000ULL;
inline constexpr uint64_t kT0 = 1'764'000'000ULL * kSec;  // a minute boundary
inline const TimeRange kHour{kT0, kT0 + 3600 * kSec};

// An HTTP exchange of `comm` (pid) between `local` and `remote`.
inline Record exchange(Role role, uint32_t pid, const std::string& comm, const std::string& local,
                       const std::string& remote, uint64_t start_ns, uint64_t dur_ns,
                       const std::string& route = "/x", int status = 200) {
  Record r;
  r.start_ns = start_ns;
  r.end_ns = start_ns + dur_ns;
  r.protocol = Protocol::Http1;
  r.role = role;
  r.pid = pid;
  r.tid = pid + 1;
  r.comm = comm;
  r.local_addr = local;
  r.remote_addr = remote;
  r.method = "GET";
  r.route = route;
  r.path = route;
  r.status = status;
  r.error = status >= 500;
  return r;
}

// A server record of api:8000 (pid 42).
inline Record served(uint64_t start_ns, uint64_t dur_ns, const std::string& route,
                     int status = 200) {
  return exchange(Role::Server, 42, "api", "127.0.0.1:8000", "127.0.0.1:50000", start_ns, dur_ns,
                  route, status);
}

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { backend_ = open_backend(GetParam()); }
  Store& store() { return backend_->store(); }
  TestBackend& backend() { return *backend_; }
  void reopen(StoreOptions options = {}) { backend_->reopen(options); }
  // Through the record pipeline, as ingest writes.
  void write(const std::vector<Record>& records, IngestBookkeeping* book = nullptr,
             pipeline::PipelineOptions options = {}) {
    pipeline::RecordPipeline(store(), options).write(records, book);
  }

 private:
  std::unique_ptr<TestBackend> backend_;
};

// Every field a store keeps of a record.
inline void expect_same_record(const Record& got, const Record& want) {
  EXPECT_EQ(got.start_ns, want.start_ns);
  EXPECT_EQ(got.end_ns, want.end_ns);
  EXPECT_EQ(got.protocol, want.protocol);
  EXPECT_EQ(got.role, want.role);
  EXPECT_EQ(got.tls, want.tls);
  EXPECT_EQ(got.pid, want.pid);
  EXPECT_EQ(got.tid, want.tid);
  for (const TextField& f : record_text_fields())
    EXPECT_EQ(text_of(got, f), text_of(want, f)) << f.name;
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.req_bytes, want.req_bytes);
  EXPECT_EQ(got.resp_bytes, want.resp_bytes);
}

}  // namespace loupe::store::testing
