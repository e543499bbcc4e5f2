#include "server/agent_stats.h"

#include <gtest/gtest.h>

#include "server/api_params.h"

namespace loupe::server {
namespace {

using nlohmann::json;

TEST(AgentStatsBoard, KeepsTheLatestKnownCountersPerNode) {
  AgentStatsBoard board;
  board.update({{"node", "node-a"},
                {"exporter", {{"captured", 10}, {"sent", 7}, {"spooled", 3}, {"dropped", 0}}},
                {"capture", {{"ring_buffer_drops", 2}, {"parse_errors", 1}}}},
               1'000'000'000);
  board.update({{"node", "node-a"}, {"exporter", {{"captured", 12}, {"sent", 12}}}}, 5'000'000'000);
  board.update({{"node", "node-b"}, {"exporter", {{"captured", 1}}}}, 5'000'000'000);
  json all = board.to_json(6'000'000'000);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all["node-a"]["exporter"]["captured"], 12);
  EXPECT_FALSE(all["node-a"]["exporter"].contains("spooled"));  // replaced, not merged
  EXPECT_EQ(all["node-a"]["age_s"], 1);
}

TEST(AgentStatsBoard, IgnoresUnknownKeysAndNonNumbers) {
  AgentStatsBoard board;
  board.update({{"node", "n"},
                {"exporter", {{"sent", "lots"}, {"junk", 1}, {"captured", 5}}},
                {"capture", {{"parsers", json::object({{"http1", {{"records", 1}}}})}}},
                {"extra", std::string(1000, 'x')}},
               0);
  json n = board.to_json(0)["n"];
  EXPECT_EQ(n["exporter"], (json{{"captured", 5}, {"dropped_by_reason", json::object()}}));
  EXPECT_FALSE(n["capture"].contains("parsers"));
}

TEST(AgentStatsBoard, RefusesReportsWithoutAUsableNode) {
  AgentStatsBoard board;
  EXPECT_THROW(board.update(json::array(), 0), ParamError);
  EXPECT_THROW(board.update({{"node", ""}}, 0), ParamError);
  EXPECT_THROW(board.update({{"node", 3}}, 0), ParamError);
  EXPECT_THROW(board.update({{"node", std::string(300, 'a')}}, 0), ParamError);
  EXPECT_THROW(board.update({{"node", "bad\xff"}}, 0), ParamError);
  EXPECT_TRUE(board.to_json(0).empty());
}

TEST(AgentStatsBoard, HoldsAtMostMaxNodesDroppingTheStalest) {
  AgentStatsBoard board;
  for (size_t i = 0; i <= AgentStatsBoard::kMaxNodes; ++i)
    board.update({{"node", "n" + std::to_string(i)}}, 1 + i);
  json all = board.to_json(0);
  EXPECT_EQ(all.size(), AgentStatsBoard::kMaxNodes);
  EXPECT_FALSE(all.contains("n0"));
  EXPECT_TRUE(all.contains("n" + std::to_string(AgentStatsBoard::kMaxNodes)));
}

}  // namespace
}  // namespace loupe::server
