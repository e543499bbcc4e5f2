#include "core/profile_minute.h"

#include <gtest/gtest.h>

namespace loupe {
namespace {

using nlohmann::json;

ProfileMinute sample_minute() {
  ProfileMinute m;
  m.minute_s = 1'764'000'000ULL / 60 * 60;
  m.entity.node = "node-1";
  m.entity.pid = 42;
  m.entity.process = "api";
  m.entity.pod_uid = "11111111-2222-3333-4444-555555555555";
  m.stacks.add({"main", "serve", "parse"}, 30);
  m.stacks.add({"main", "serve"}, 10);
  return m;
}

TEST(ProfileBatch, RoundTripsWithOneFrameTable) {
  json j = json::parse(
      profile_batch_json_text({sample_minute(), sample_minute()}, {.agent = "a", .seq = 1}));
  EXPECT_EQ(j["frames"], json::array({"main", "serve", "parse"}));
  auto back = profile_batch_from_json(j);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].minute_s, sample_minute().minute_s);
  EXPECT_EQ(back[0].entity.pid, 42u);
  EXPECT_EQ(back[0].entity.process, "api");
  EXPECT_EQ(back[0].entity.pod_uid, "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(back[1].stacks.to_folded(), sample_minute().stacks.to_folded());
}

TEST(ProfileBatch, TextIsTheDocumentWithItsBatchKey) {
  ProfileMinute odd = sample_minute();
  odd.entity.process = "quote\" back\\slash \x01 caf\xc3\xa9";
  odd.entity.workload = "ns/Deployment/api";
  odd.stacks.add({"main", "\xc3\xa9t\xc3\xa9", "tab\there_[k]"}, 7);
  std::vector<ProfileMinute> batch = {sample_minute(), odd, ProfileMinute{}};
  json text = json::parse(profile_batch_json_text(batch, {.agent = "agent-1/profile", .seq = 12}));
  EXPECT_EQ(text["batch"], json({{"agent", "agent-1/profile"}, {"seq", 12}}));
  EXPECT_EQ(text["frames"],
            json::array({"main", "serve", "parse", "\xc3\xa9t\xc3\xa9", "tab\there_[k]"}));
  ASSERT_EQ(text["profiles"].size(), 3u);
  EXPECT_EQ(text["profiles"][1]["process"], odd.entity.process);
  EXPECT_EQ(text["profiles"][1]["workload"], "ns/Deployment/api");
  EXPECT_EQ(text["profiles"][2]["stacks"], json::array());
  auto back = profile_batch_from_json(text);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[1].entity.process, odd.entity.process);
  EXPECT_EQ(back[0].stacks.to_folded(), sample_minute().stacks.to_folded());
  EXPECT_EQ(json::parse(profile_batch_json_text({}, {.agent = "a", .seq = 1})),
            json({{"frames", json::array()},
                  {"profiles", json::array()},
                  {"batch", {{"agent", "a"}, {"seq", 1}}}}));
}

TEST(ProfileBatch, BadInputIsAClearErrorNeverACrash) {
  auto bad = [](const char* text) {
    EXPECT_THROW(profile_batch_from_json(json::parse(text)), std::invalid_argument) << text;
  };
  bad(R"([1, 2])");
  bad(R"({"frames": "main"})");
  bad(R"({"frames": ["main"], "profiles": [{"stacks": [[[1], 3]]}]})");   // index out of range
  bad(R"({"frames": ["main"], "profiles": [{"stacks": [[[], 3]]}]})");    // no frames
  bad(R"({"frames": ["main"], "profiles": [{"stacks": [[[0], -3]]}]})");  // negative count
  bad(R"({"frames": ["main"], "profiles": [{"process": 7, "stacks": []}]})");
  ProfileBatchLimits tight{.max_frames = 1, .max_stacks = 1, .max_depth = 2};
  EXPECT_THROW(profile_batch_from_json(json::parse(R"({"frames": ["a", "b"]})"), tight),
               std::invalid_argument);
  EXPECT_THROW(
      profile_batch_from_json(
          json::parse(R"({"frames": ["a"], "profiles": [{"stacks": [[[0,0,0], 1]]}]})"), tight),
      std::invalid_argument);
  EXPECT_THROW(
      profile_batch_from_json(
          json::parse(R"({"frames": ["a"], "profiles": [{"stacks": [[[0], 1], [[0], 1]]}]})"),
          tight),
      std::invalid_argument);
}

TEST(ProfileBatch, FrameNamesAreCleaned) {
  auto back = profile_batch_from_json(json::parse(
      R"({"frames": ["a;b", ""], "profiles": [{"minute": 125, "stacks": [[[0, 1], 2]]}]})"));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].minute_s, 120u);  // the minute's start
  EXPECT_EQ(back[0].stacks.to_folded(), "a_b;[unknown] 2\n");
}

TEST(ProfileBatch, MemoryGrowsWithTheStacksHeld) {
  ProfileMinute m = sample_minute();
  size_t before = memory_bytes(m);
  m.stacks.add({"main", std::string(200, 'x')}, 1);
  EXPECT_GT(memory_bytes(m), before + 200);
}

TEST(ProfileStacks, FunctionTableCountsSelfAndTotalOncePerChain) {
  ProfileStacks p;
  p.add({"app", "main", "f", "f"}, 3);  // recursive: once in total
  p.add({"app", "main", "g"}, 5);
  p.add({"app", "main"}, 1);
  json t = p.to_function_table(10);
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[0], (json{{"name", "g"}, {"self", 5}, {"total", 5}}));
  EXPECT_EQ(t[1], (json{{"name", "f"}, {"self", 3}, {"total", 3}}));
  EXPECT_EQ(t[2], (json{{"name", "main"}, {"self", 1}, {"total", 9}}));
  EXPECT_EQ(p.to_function_table(1).size(), 1u);
}

}  // namespace
}  // namespace loupe
