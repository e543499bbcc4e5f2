#include "core/pod_identity.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/batch_codec.h"
#include "core/record.h"

namespace loupe {
namespace {

PodIdentity api_pod() {
  return {.node = "node-1",
          .namespace_ = "shop",
          .pod = "api-7d9f8b6c5-x2x4k",
          .container = "api",
          .workload = "Deployment/api",
          .service = "api"};
}

TEST(PodIdentity, EqualIdentitiesAreInternedAsOneObjectAndNoneAsNull) {
  PodIdentityRef a = intern(api_pod());
  PodIdentityRef b = intern(api_pod());
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(*a, api_pod());
  PodIdentity other = api_pod();
  other.pod = "api-7d9f8b6c5-zzzzz";
  EXPECT_NE(intern(other).get(), a.get());
  EXPECT_EQ(intern(PodIdentity{}), nullptr);
}

TEST(PodIdentity, IdentitiesNoRecordHoldsAreLetGoAsTheTableGrows) {
  std::weak_ptr<const PodIdentity> gone;
  {
    PodIdentity lone = api_pod();
    lone.pod = "short-lived-pod";
    gone = intern(lone);
  }
  PodIdentityRef kept = intern(api_pod());
  // Past any sweep threshold: the table sweeps what only it holds.
  for (int i = 0; i < 5000; ++i) {
    PodIdentity churn = api_pod();
    churn.pod = "churn-" + std::to_string(i);
    intern(churn);
  }
  EXPECT_TRUE(gone.expired());
  EXPECT_EQ(intern(api_pod()).get(), kept.get());
}

TEST(PodIdentity, ARecordWithoutIdentityReadsEmptyAndEditCopies) {
  Record r;
  EXPECT_TRUE(r.pod().empty());
  EXPECT_TRUE(r.remote_workload().empty());
  r.local_identity = intern(api_pod());
  Record same_pod;
  same_pod.local_identity = r.local_identity;
  edit(same_pod.local_identity).container = "sidecar";
  EXPECT_EQ(r.container(), "api");  // the shared one is left as it was
  EXPECT_EQ(same_pod.container(), "sidecar");
  EXPECT_EQ(same_pod.pod(), r.pod());
  EXPECT_FALSE(same_identity(r.local_identity, same_pod.local_identity));
  EXPECT_TRUE(same_identity(nullptr, std::make_shared<const PodIdentity>()));
}

TEST(PodIdentity, TheMemoAnswersWithTheInternedObject) {
  IdentityMemo memo;
  PodIdentityRef first = memo.get(api_pod());
  EXPECT_EQ(first.get(), intern(api_pod()).get());
  EXPECT_EQ(memo.get(api_pod()).get(), first.get());
  EXPECT_EQ(memo.get(PodIdentity{}), nullptr);
}

// The point of the identities: a record is small, whatever its pod.
TEST(PodIdentity, ARecordHoldsTwoPointersNotTenStrings) { EXPECT_LE(sizeof(Record), 448u); }

TEST(PodIdentity, DecodedRecordsOfOnePodShareOneIdentity) {
  std::vector<Record> records(6);
  for (size_t i = 0; i < records.size(); ++i) {
    records[i].start_ns = 1000 + i;
    records[i].local_identity = std::make_shared<const PodIdentity>(api_pod());  // not shared
    edit(records[i].remote_identity) = {.namespace_ = "shop", .workload = "Deployment/db"};
  }
  auto batch = decode_batch(encode_batch({"agent-1", 1}, records));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), records.size());
  for (const Record& r : batch->records) {
    EXPECT_EQ(r.local_identity.get(), batch->records[0].local_identity.get());
    EXPECT_EQ(r.remote_identity.get(), batch->records[0].remote_identity.get());
    EXPECT_EQ(r.pod(), "api-7d9f8b6c5-x2x4k");
    EXPECT_EQ(r.remote_workload(), "Deployment/db");
  }
  EXPECT_EQ(batch->records[0].local_identity.get(), intern(api_pod()).get());

  std::vector<const Record*> rows;
  for (const Record& r : records) rows.push_back(&r);
  auto noted = decode_noted_records(encode_noted_records(rows, {}, 0));
  ASSERT_TRUE(noted);
  for (const Record& r : noted->records)
    EXPECT_EQ(r.local_identity.get(), batch->records[0].local_identity.get());
}

}  // namespace
}  // namespace loupe
