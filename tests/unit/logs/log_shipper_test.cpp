// The agent's log shipping: batches the server cannot take go to the
// on-disk spool and are replayed in order, also by the next agent; a full
// spool drops its oldest batches, counted.
#include "agent/logs/log_shipper.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../store/temp_dir.h"
#include "core/gzip.h"

namespace loupe::logs {
namespace {

// The server side: takes a body while up, recording the entries' texts.
struct Receiver {
  bool up = true;
  std::vector<std::string> texts;

  PostBody post() {
    return [this](const std::string& body, std::string& error) {
      if (!up) {
        error = "POST http://127.0.0.1:1/api/v1/logs/ingest: Connection refused";
        return false;
      }
      GzipInflater inflater(64 << 20);
      std::string json;
      EXPECT_EQ(inflater.feed(body, json), GzipInflater::Result::Ok);
      auto parsed = nlohmann::json::parse(json);
      for (const auto& e : parsed["entries"]) texts.push_back(e["text"].get<std::string>());
      return true;
    };
  }
};

std::vector<Entry> batch(int from, int to) {
  std::vector<Entry> out;
  for (int i = from; i < to; ++i) {
    Entry e;
    e.text = "n " + std::to_string(i);
    e.source = "s";
    e.offset = static_cast<uint64_t>(i);
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> texts(int from, int to) {
  std::vector<std::string> out;
  for (const Entry& e : batch(from, to)) out.push_back(e.text);
  return out;
}

LogShipperOptions spool_in(const std::string& dir, uint64_t max_bytes = 1 << 20) {
  return {.spool_dir = dir, .spool_max_bytes = max_bytes, .retry_after = {}};
}

TEST(LogShipper, BatchesWhileTheServerIsAwayAreSpooledAndReplayedInOrder) {
  loupe::testing::TempDir dir;
  Receiver server;
  LogShipper shipper(spool_in(dir.path()), server.post());
  std::string error;
  auto b = batch(0, 10);
  ASSERT_TRUE(shipper.deliver(b, error));
  server.up = false;
  for (int i = 1; i < 4; ++i) {
    b = batch(i * 10, i * 10 + 10);
    EXPECT_TRUE(shipper.deliver(b, error)) << error;  // durable on disk
  }
  nlohmann::json s;
  shipper.add_status(s);
  EXPECT_EQ(s["spooled_entries"], 30);
  EXPECT_GT(s["spool_bytes"].get<uint64_t>(), 0u);
  EXPECT_NE(s["spool_last_error"].get<std::string>().find("Connection refused"), std::string::npos);
  shipper.replay();  // still away: kept
  EXPECT_EQ(server.texts.size(), 10u);

  server.up = true;
  b = batch(40, 50);
  ASSERT_TRUE(shipper.deliver(b, error));  // after what the spool holds
  EXPECT_EQ(server.texts, texts(0, 50));
  s = {};
  shipper.add_status(s);
  EXPECT_EQ(s["spooled_entries"], 0);
  EXPECT_EQ(s["entries_replayed"], 30);
  EXPECT_EQ(s["dropped"]["spool_full"], 0);
}

TEST(LogShipper, TheNextAgentReplaysTheSpool) {
  loupe::testing::TempDir dir;
  Receiver server;
  server.up = false;
  std::string error;
  {
    LogShipper first(spool_in(dir.path()), server.post());
    auto b = batch(0, 25);
    ASSERT_TRUE(first.deliver(b, error));
  }
  server.up = true;
  LogShipper second(spool_in(dir.path()), server.post());
  second.replay();  // idle: nothing new, the spool goes out
  EXPECT_EQ(server.texts, texts(0, 25));
}

TEST(LogShipper, AFullSpoolDropsItsOldestBatchesCounted) {
  loupe::testing::TempDir dir;
  Receiver server;
  server.up = false;
  LogShipper shipper(spool_in(dir.path(), 8 << 10), server.post());
  std::string error;
  for (int i = 0; i < 40; ++i) {
    auto b = batch(i * 50, i * 50 + 50);
    ASSERT_TRUE(shipper.deliver(b, error));
  }
  nlohmann::json s;
  shipper.add_status(s);
  uint64_t dropped = s["dropped"]["spool_full"].get<uint64_t>();
  uint64_t kept = s["spooled_entries"].get<uint64_t>();
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(dropped + kept, 2000u);
  EXPECT_LE(s["spool_bytes"].get<uint64_t>(), 8u << 10);
  server.up = true;
  shipper.replay();
  ASSERT_EQ(server.texts.size(), kept);
  EXPECT_EQ(server.texts.back(), "n 1999");  // the newest are kept
}

TEST(LogShipper, WithoutASpoolARefusedBatchIsNotTaken) {
  Receiver server;
  server.up = false;
  LogShipper shipper({.spool_dir = "", .retry_after = {}}, server.post());
  std::string error;
  auto b = batch(0, 5);
  EXPECT_FALSE(shipper.deliver(b, error));
  EXPECT_NE(error.find("Connection refused"), std::string::npos);
  server.up = true;
  EXPECT_TRUE(shipper.deliver(b, error));
  EXPECT_EQ(server.texts, texts(0, 5));
}

}  // namespace
}  // namespace loupe::logs
