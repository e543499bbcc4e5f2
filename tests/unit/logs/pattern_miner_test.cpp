#include "logs/pattern_miner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace loupe::logs {
namespace {

std::string tokens_of(std::string_view line) {
  std::string out;
  for (const std::string& t : pattern_tokens(line)) out += (out.empty() ? "" : " ") + t;
  return out;
}

TEST(PatternTokens, VariablePartsBecomeWildcards) {
  EXPECT_EQ(tokens_of("GET /users/42 200 in 12ms"), "GET /users/<*> <*> in <*>ms");
  EXPECT_EQ(tokens_of("conn from 10.1.2.3:5432 closed"), "conn from <*> closed");
  EXPECT_EQ(tokens_of("order 0b5c2f1e-9a7d-4c1b-8e2f-3a4b5c6d7e8f paid"), "order <*> paid");
  EXPECT_EQ(tokens_of("ptr 0x7ffd1234 trace 4bf92f3577b34da6a3ce929d0e0e4736"),
            "ptr <*> trace <*>");
  EXPECT_EQ(tokens_of("user=\"alice\" said 'hi there' ok"), "user=<*> said <*> ok");
  EXPECT_EQ(tokens_of("level=error retry=3 v2 http2"), "level=error retry=<*> v2 http2");
  EXPECT_EQ(tokens_of("first line\n\tat second"), "first line");  // the first line only
  EXPECT_TRUE(pattern_tokens("   \t ").empty());
  std::string many;
  for (int i = 0; i < 200; ++i) many += "w" + std::to_string(i) + " ";
  EXPECT_EQ(pattern_tokens(many).size(), kMaxPatternTokens);
  EXPECT_EQ(pattern_tokens(many).back(), kWildcard);
}

// Lines from a few templates with random values: each template's lines get
// one pattern of their own, and the counts per pattern are the counts
// generated per template.
TEST(PatternMiner, CountsPerPatternEqualCountsPerTemplate) {
  std::mt19937 rng(7);
  auto num = [&rng] { return std::to_string(rng() % 100000); };
  auto ip = [&rng] {
    return std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + ".1." +
           std::to_string(rng() % 256);
  };
  auto word = [&rng] {
    static const char* kWords[] = {"alice", "bob", "carol", "dave", "erin", "frank"};
    return std::string(kWords[rng() % 6]);
  };
  std::vector<std::function<std::string()>> templates = {
      [&] { return "GET /api/users/" + num() + " 200 " + num() + "ms"; },
      [&] { return "POST /api/orders 201 " + num() + "ms"; },
      [&] { return "connection from " + ip() + ":" + num() + " accepted"; },
      [&] { return "user " + word() + " logged in from " + ip(); },
      [&] { return "ERROR payment " + num() + " declined: card expired"; },
      [&] { return "cache miss for key \"" + word() + ":" + num() + "\""; },
      [&] { return "worker " + num() + " finished job " + num() + " in " + num() + "s"; },
      [&] { return "retrying request to upstream " + word() + " after timeout"; },
  };
  std::vector<int> generated(templates.size());
  std::vector<Entry> entries;
  std::vector<size_t> from;
  for (int i = 0; i < 20000; ++i) {
    size_t t = rng() % templates.size();
    Entry e;
    e.text = templates[t]();
    e.time_ns = 1'000 + static_cast<uint64_t>(i);
    entries.push_back(std::move(e));
    from.push_back(t);
    ++generated[t];
  }
  PatternMiner miner;
  std::vector<Pattern> changed = miner.assign(entries);
  std::map<uint32_t, std::set<size_t>> templates_of;
  std::map<size_t, std::set<uint32_t>> patterns_of;
  std::map<uint32_t, int> counted;
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSERT_NE(entries[i].pattern, 0u);
    templates_of[entries[i].pattern].insert(from[i]);
    patterns_of[from[i]].insert(entries[i].pattern);
    ++counted[entries[i].pattern];
  }
  ASSERT_EQ(miner.size(), templates.size());
  for (size_t t = 0; t < templates.size(); ++t) {
    ASSERT_EQ(patterns_of[t].size(), 1u) << "template " << t << " split";
    uint32_t id = *patterns_of[t].begin();
    EXPECT_EQ(templates_of[id].size(), 1u) << "templates merged into pattern " << id;
    EXPECT_EQ(counted[id], generated[t]);
  }
  std::map<uint32_t, Pattern> by_id;
  for (const Pattern& p : changed) by_id[p.id] = p;
  ASSERT_EQ(by_id.size(), templates.size());
  EXPECT_EQ(by_id[*patterns_of[0].begin()].text, "GET /api/users/<*> <*> <*>ms");
  EXPECT_EQ(by_id[*patterns_of[3].begin()].text, "user <*> logged in from <*>");
  EXPECT_EQ(by_id[*patterns_of[5].begin()].text, "cache miss for key <*>");
  EXPECT_EQ(by_id[*patterns_of[7].begin()].text, "retrying request to upstream <*> after timeout");
  size_t first_of_0 = static_cast<size_t>(std::find(from.begin(), from.end(), 0u) - from.begin());
  EXPECT_EQ(by_id[*patterns_of[0].begin()].first_seen_ns, entries[first_of_0].time_ns);
  EXPECT_EQ(by_id[*patterns_of[0].begin()].example, entries[first_of_0].text);
}

TEST(PatternMiner, ResumesFromStoredPatternsAndKeepsTheirIds) {
  PatternMiner first;
  std::vector<Entry> batch(2);
  batch[0].text = "user alice logged in";
  batch[1].text = "disk full on /dev/sda1";
  auto stored = first.assign(batch);
  ASSERT_EQ(stored.size(), 2u);
  PatternMiner second;
  second.load(stored);
  std::vector<Entry> again(2);
  again[0].text = "disk full on /dev/sda1";
  again[1].text = "a line never seen";
  auto changed = second.assign(again);
  EXPECT_EQ(again[0].pattern, batch[1].pattern);
  EXPECT_EQ(again[1].pattern, 3u);  // new ids go on after the loaded ones
  ASSERT_EQ(changed.size(), 1u);
}

TEST(PatternMiner, BoundedNumberOfPatterns) {
  PatternMiner miner({.similarity = 0.5, .max_patterns = 10});
  std::vector<Entry> entries(100);
  for (size_t i = 0; i < entries.size(); ++i)
    entries[i].text = std::string(1, static_cast<char>('a' + i % 26)) + std::to_string(i) + "x y";
  miner.assign(entries);
  EXPECT_EQ(miner.size(), 10u);
  EXPECT_GT(miner.stats().over_limit, 0u);
}

}  // namespace
}  // namespace loupe::logs
