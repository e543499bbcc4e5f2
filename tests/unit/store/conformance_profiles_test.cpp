// Conformance: CPU profiles (a minute sent in parts, filters, the window's
// minutes, retention) give the same answers from every backend.
#include "conformance.h"

namespace loupe::store::testing {
namespace {

using ProfileConformance = StoreConformance;

constexpr uint64_t kMinute0 = 1'764'000'000ULL / 60 * 60;  // unix seconds

ProfileMinute minute(uint64_t minute_s, uint32_t pid, const std::string& process,
                     const std::string& pod,
                     std::vector<std::pair<std::vector<std::string>, uint64_t>> stacks) {
  ProfileMinute m;
  m.minute_s = minute_s;
  m.entity.node = "node-1";
  m.entity.pid = pid;
  m.entity.process = process;
  if (!pod.empty()) {
    m.entity.namespace_ = "shop";
    m.entity.pod = pod;
    m.entity.container = "api";
    m.entity.workload = "shop/Deployment/api";
  }
  for (auto& [frames, n] : stacks) m.stacks.add(frames, n);
  return m;
}

ProfileQuery window(uint64_t from_s, uint64_t to_s) {
  ProfileQuery q;
  q.range = {from_s * kSec, to_s * kSec};
  return q;
}

TEST_P(ProfileConformance, AMinuteSentInPartsAddsUpUnderItsProcessName) {
  EXPECT_EQ(store().write_profiles({minute(kMinute0, 10, "api", "api-1",
                                           {{{"main", "serve"}, 3}, {{"main", "gc"}, 1}})}),
            4u);
  store().write_profiles({minute(kMinute0, 10, "api", "api-1", {{{"main", "serve"}, 2}})});
  ProfileStacks got = store().profile(window(kMinute0, kMinute0 + 60));
  EXPECT_EQ(got.to_folded(), "api;main;gc 1\napi;main;serve 5\n");
}

// An agent sends a part again when its answer was lost: with the part's
// key it is added once, also after a restart; without one (loupe run's own
// profiler) parts add up as before.
TEST_P(ProfileConformance, APartSentAgainWithItsKeyIsAddedOnce) {
  const std::vector<ProfileMinute> part{minute(kMinute0, 10, "api", "", {{{"main", "serve"}, 3}})};
  const BatchKey key{"agent-1/profile", 7};
  EXPECT_EQ(store().write_profiles(part, key), 3u);
  EXPECT_EQ(store().write_profiles(part, key), 0u);
  reopen();
  EXPECT_EQ(store().write_profiles(part, key), 0u) << "still known after a restart";
  EXPECT_EQ(store().write_profiles(part, BatchKey{"agent-1/profile", 8}), 3u);
  EXPECT_EQ(store().profile(window(kMinute0, kMinute0 + 60)).total(), 6u);
  EXPECT_EQ(store().write_profiles(part), 3u);
  EXPECT_EQ(store().profile(window(kMinute0, kMinute0 + 60)).total(), 9u);
}

TEST_P(ProfileConformance, FiltersByWorkloadPodProcessPidAndNode) {
  store().write_profiles({minute(kMinute0, 10, "api", "api-1", {{{"main", "serve"}, 3}}),
                          minute(kMinute0, 11, "api", "api-2", {{{"main", "serve"}, 4}}),
                          minute(kMinute0, 12, "cron", "", {{{"main", "tick"}, 5}})});
  auto total = [this](auto set) {
    ProfileQuery q = window(kMinute0, kMinute0 + 60);
    set(q);
    return store().profile(q).total();
  };
  EXPECT_EQ(total([](ProfileQuery&) {}), 12u);
  EXPECT_EQ(total([](ProfileQuery& q) { q.workload = "shop/Deployment/api"; }), 7u);
  EXPECT_EQ(total([](ProfileQuery& q) { q.pod = "shop/api-2"; }), 4u);
  EXPECT_EQ(total([](ProfileQuery& q) { q.pod = "api-1"; }), 3u);
  EXPECT_EQ(total([](ProfileQuery& q) { q.pod = "other/api-1"; }), 0u);
  EXPECT_EQ(total([](ProfileQuery& q) { q.process = "cron"; }), 5u);
  EXPECT_EQ(total([](ProfileQuery& q) { q.pid = 11; }), 4u);
  EXPECT_EQ(total([](ProfileQuery& q) { q.node = "node-2"; }), 0u);
}

TEST_P(ProfileConformance, WindowTakesTheMinutesStartingInIt) {
  store().write_profiles({minute(kMinute0, 10, "api", "", {{{"main"}, 1}}),
                          minute(kMinute0 + 60, 10, "api", "", {{{"main"}, 2}}),
                          minute(kMinute0 + 120, 10, "api", "", {{{"main"}, 4}})});
  EXPECT_EQ(store().profile(window(kMinute0, kMinute0 + 180)).total(), 7u);
  EXPECT_EQ(store().profile(window(kMinute0 + 1, kMinute0 + 121)).total(), 6u);
  EXPECT_EQ(store().profile(window(kMinute0 + 60, kMinute0 + 120)).total(), 2u);
}

TEST_P(ProfileConformance, RetentionDropsOldMinutesAndWhatOnlyTheyUsed) {
  reopen({.retention_ns = 3600 * kSec});
  store().write_profiles({minute(kMinute0, 10, "old", "", {{{"main", "gone"}, 1}}),
                          minute(kMinute0 + 7200, 10, "new", "", {{{"main", "kept"}, 2}})});
  store().enforce_retention((kMinute0 + 7200) * kSec);
  ProfileStacks got = store().profile(window(kMinute0, kMinute0 + 7260));
  EXPECT_EQ(got.to_folded(), "new;main;kept 2\n");
  // Swept names are stored again when they come back.
  store().write_profiles({minute(kMinute0 + 7200, 10, "old", "", {{{"main", "gone"}, 3}})});
  EXPECT_EQ(store().profile(window(kMinute0 + 7200, kMinute0 + 7260)).total(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ProfileConformance, ::testing::ValuesIn(backend_names()),
                         [](const auto& backend) { return backend.param; });

}  // namespace
}  // namespace loupe::store::testing
