#include "core/profile_stacks.h"

#include <gtest/gtest.h>

namespace loupe {
namespace {

TEST(ProfileStacks, FoldsChainsAndSumsRepeats) {
  ProfileStacks p;
  p.add({"app", "main", "work"}, 3);
  p.add({"app", "main", "work"}, 2);
  p.add({"app", "main"}, 1);
  p.add({}, 7);  // nothing to attribute to
  EXPECT_EQ(p.total(), 6u);
  EXPECT_EQ(p.to_folded(), "app;main 1\napp;main;work 5\n");
}

TEST(ProfileStacks, JsonTreeHasTotalsSelfAndCalleesByWeight) {
  ProfileStacks p;
  p.add({"app", "main", "small"}, 1);
  p.add({"app", "main", "big"}, 4);
  p.add({"app", "main"}, 2);
  auto j = p.to_json_tree();
  EXPECT_EQ(j["name"], "all");
  EXPECT_EQ(j["total"], 7);
  const auto& main = j["children"][0]["children"][0];
  EXPECT_EQ(main["name"], "main");
  EXPECT_EQ(main["total"], 7);
  EXPECT_EQ(main["self"], 2);
  EXPECT_EQ(main["children"][0]["name"], "big");
  EXPECT_EQ(main["children"][1]["name"], "small");
  EXPECT_EQ(main["children"][1]["self"], 1);
}

TEST(ProfileStacks, MergeAddsUp) {
  ProfileStacks a, b;
  a.add({"x", "y"}, 2);
  b.add({"x", "y"}, 3);
  b.add({"x"}, 1);
  a.merge(b);
  EXPECT_EQ(a.total(), 6u);
  EXPECT_EQ(a.stacks().at("x;y"), 5u);
}

TEST(ProfileStacks, FrameNamesAreCleanedOfSeparatorsAndBadUtf8) {
  EXPECT_EQ(clean_frame_name("a;b\nc"), "a_b_c");
  EXPECT_EQ(clean_frame_name("\xff"), "\xEF\xBF\xBD");
  EXPECT_EQ(clean_frame_name(std::string(5000, 'x')).size(), 1024u);
}

TEST(ProfileStacks, DifferentialProfileCarriesTheBaselineBesideEachNode) {
  ProfileStacks now, before;
  now.add({"app", "main", "parse"}, 30);
  now.add({"app", "main", "encode"}, 10);
  before.add({"app", "main", "parse"}, 5);
  before.add({"app", "main", "gzip"}, 15);  // gone since: still a node
  auto root = now.to_json_tree(&before);
  EXPECT_EQ(root["total"], 40);
  EXPECT_EQ(root["baseline_total"], 20);
  const auto& main = root["children"][0]["children"][0];
  ASSERT_EQ(main["name"], "main");
  ASSERT_EQ(main["children"].size(), 3u);
  EXPECT_EQ(main["children"][0]["name"], "parse");
  EXPECT_EQ(main["children"][0]["baseline_self"], 5);
  EXPECT_EQ(main["children"][1]["name"], "encode");
  EXPECT_EQ(main["children"][1]["baseline_total"], 0);
  EXPECT_EQ(main["children"][2]["name"], "gzip");
  EXPECT_EQ(main["children"][2]["total"], 0);
  EXPECT_EQ(main["children"][2]["baseline_total"], 15);
  EXPECT_FALSE(now.to_json_tree().contains("baseline_total"));  // only when compared

  auto functions = now.to_function_table(10, &before);
  ASSERT_EQ(functions[0]["name"], "parse");
  EXPECT_EQ(functions[0]["self"], 30);
  EXPECT_EQ(functions[0]["baseline_self"], 5);
  EXPECT_EQ(now.to_folded_diff(before),
            "app;main;encode 0 10\napp;main;gzip 15 0\napp;main;parse 5 30\n");
}

}  // namespace
}  // namespace loupe
