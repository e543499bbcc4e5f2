#include "agent/exporter.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "core/batch_codec.h"
#include "core/gzip.h"

namespace loupe {
namespace {

using namespace std::chrono_literals;

// A Loupe server stand-in on loopback answering ingest with a settable
// status and keeping the paths of the records it took, in order. It reads
// both forms, as the real one does; `codec_refusal` set, it answers batch
// codec bodies with that status instead (415, or 400 as servers from before
// the codec answer bodies that are not JSON).
class FakeServer {
 public:
  FakeServer() {
    http_.Post("/api/v1/ingest", [this](const httplib::Request& req, httplib::Response& res) {
      ++posts;
      {
        std::lock_guard lock(mu_);
        ports_.push_back(req.remote_port);
      }
      while (hold) std::this_thread::sleep_for(5ms);  // a server too busy to answer
      const bool codec = req.get_header_value("Content-Type") == kBatchMediaType;
      std::lock_guard lock(mu_);
      forms_.push_back(codec ? "codec" : "json");
      if (codec) bodies_.push_back(req.body);
      if (codec && codec_refusal) {
        res.status = codec_refusal.load();
        return;
      }
      std::string key;
      std::vector<std::string> paths;
      if (codec) {
        auto batch = decode_batch(req.body);
        if (!batch) {
          res.status = 400;
          return;
        }
        key = batch->key.agent + "/" + std::to_string(batch->key.seq);
        for (const Record& r : batch->records) paths.push_back(r.path);
      } else {
        auto body = nlohmann::json::parse(req.body);
        key = body["batch"]["agent"].get<std::string>() + "/" +
              std::to_string(body["batch"]["seq"].get<uint64_t>());
        for (const auto& r : body["records"]) paths.push_back(r["path"]);
      }
      res.status = status.load();
      keys_.push_back(key);
      if (res.status != 200) return;
      paths_.insert(paths_.end(), paths.begin(), paths.end());
    });
    http_.Post("/api/v1/agents/stats", [this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard lock(mu_);
      last_stats_ = nlohmann::json::parse(req.body);
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
  }
  ~FakeServer() {
    http_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> paths() {
    std::lock_guard lock(mu_);
    return paths_;
  }
  // The batch key of every ingest POST, answered or not: "agent/seq".
  std::vector<std::string> keys() {
    std::lock_guard lock(mu_);
    return keys_;
  }
  nlohmann::json last_stats() {
    std::lock_guard lock(mu_);
    return last_stats_;
  }
  // The form of every ingest POST, in order: "codec" or "json".
  std::vector<std::string> forms() {
    std::lock_guard lock(mu_);
    return forms_;
  }
  // The client port of every ingest POST: one per connection.
  std::vector<int> ports() {
    std::lock_guard lock(mu_);
    return ports_;
  }
  // The bodies of the batch codec's POSTs, as they came.
  std::vector<std::string> codec_bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::atomic<int> status{200};
  std::atomic<int> codec_refusal{0};
  std::atomic<int> posts{0};
  std::atomic<bool> hold{false};

 private:
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> paths_;
  std::vector<std::string> keys_;
  std::vector<std::string> forms_;
  std::vector<std::string> bodies_;
  std::vector<int> ports_;
  nlohmann::json last_stats_;
};

std::vector<Record> records(int from, int to) {
  std::vector<Record> out;
  for (int i = from; i < to; ++i) {
    Record r;
    r.path = "/r" + std::to_string(i);
    out.push_back(r);
  }
  return out;
}

// Records [from, to) encoded in parts of at most 10 (the tests' batch
// size), as the agent hands them over.
void push(Exporter& exporter, int from, int to) {
  for (int i = from; i < to; i += 10) {
    EncodedRecords part;
    part.append(records(i, std::min(to, i + 10)));
    exporter.push(part);
    EXPECT_TRUE(part.empty());
  }
}

// What a part of 10 records holds in memory, as the exporter counts it (the
// tests' longest paths: no part holds more).
uint64_t part_bytes() {
  EncodedRecords part;
  part.append(records(990, 1000));
  return part.memory_bytes();
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> expected_paths(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("/r" + std::to_string(i));
  return out;
}

void expect_balanced(const ExporterStats& s) {
  EXPECT_EQ(s.captured + s.inherited, s.sent + s.queued + s.spooled + s.dropped());
}

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 200 && !f(); ++i) std::this_thread::sleep_for(25ms);
  return f();
}

class ExporterTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/loupe-exporter-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  ExporterOptions options(const FakeServer& server) {
    return {.server = {server.url(), "", ""},
            .node = "node-a",
            .spool_dir = dir_ + "/spool",
            .batch_records = 10,
            .flush_interval = 20ms,
            .shutdown_budget = 1000ms,
            .stats_interval = 100ms};
  }
  std::string dir_;
};

TEST_F(ExporterTest, RetriesThroughTheSpoolInOrderOncePerRecord) {
  FakeServer server;
  server.status = 503;
  Exporter exporter(options(server));
  push(exporter, 0, 50);
  ASSERT_TRUE(eventually([&] { return exporter.stats().spooled == 50; }));
  push(exporter, 50, 80);
  server.status = 200;
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 80; }));
  EXPECT_EQ(server.paths(), expected_paths(0, 80));
  expect_balanced(exporter.stats());
  EXPECT_GE(exporter.stats().failures, 1u);
  // Batches posted again after a round through the spool kept their key
  // (the server stores a batch once per key): 8 batches, 8 keys.
  std::vector<std::string> keys = server.keys();
  EXPECT_GT(keys.size(), 8u);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::unique(keys.begin(), keys.end()) - keys.begin(), 8);
}

TEST_F(ExporterTest, ABatchRefusedWith4xxIsSetAsideNotRetried) {
  FakeServer server;
  server.status = 413;
  Exporter exporter(options(server));
  push(exporter, 0, 10);
  ASSERT_TRUE(eventually([&] { return exporter.stats().rejected == 10; }));
  server.status = 200;
  push(exporter, 10, 20);
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 10; }));
  EXPECT_EQ(server.paths(), expected_paths(10, 20));
  EXPECT_EQ(server.posts.load(), 2);
  expect_balanced(exporter.stats());
}

TEST_F(ExporterTest, StopDuringAnOutageSpoolsEverythingAndReplaysAfterRestart) {
  FakeServer server;
  server.status = 503;
  {
    Exporter exporter(options(server));
    push(exporter, 0, 25);
    auto t0 = std::chrono::steady_clock::now();
    exporter.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);  // no spinning on a dead server
    ExporterStats s = exporter.stats();
    EXPECT_EQ(s.spooled, 25u);
    EXPECT_EQ(s.queued, 0u);
    expect_balanced(s);
  }
  server.status = 200;
  Exporter exporter(options(server));
  EXPECT_EQ(exporter.stats().inherited, 25u);
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 25; }));
  EXPECT_EQ(server.paths(), expected_paths(0, 25));
  ASSERT_TRUE(eventually([&] {
    auto st = server.last_stats();
    return st.is_object() && st["exporter"]["sent"] == 25;
  }));
  EXPECT_EQ(server.last_stats()["node"], "node-a");
}

TEST_F(ExporterTest, WhatASlowServerCannotTakeYetGoesToTheSpoolNotDropped) {
  FakeServer server;
  server.hold = true;  // the first batch's POST waits; the server is up, just behind
  ExporterOptions o = options(server);
  const uint64_t budget = 10 * part_bytes();
  o.memory_max_bytes = budget;  // the spill thread takes over at half of it
  Exporter exporter(o);
  for (int i = 0; i < 1000; i += 10) {
    push(exporter, i, i + 10);
    // The spill thread keeps memory near half the budget, below the drop line.
    ASSERT_TRUE(eventually([&] { return exporter.stats().queued_bytes <= budget * 3 / 4; }));
  }
  ExporterStats s = exporter.stats();
  EXPECT_GE(s.spooled, 1000u - 75u);
  EXPECT_EQ(s.dropped(), 0u);
  expect_balanced(s);
  server.hold = false;
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 1000; }));
  EXPECT_EQ(sorted(server.paths()), sorted(expected_paths(0, 1000)));  // each record once
  s = exporter.stats();
  EXPECT_EQ(s.dropped(), 0u);
  EXPECT_EQ(s.spooled, 0u);
  expect_balanced(s);
}

TEST_F(ExporterTest, PastTheWholeBudgetThePumpSpillsRatherThanDrops) {
  // Pushes with no pause: the spill thread gets no time to keep memory at
  // half the budget (as on a host the capture saturates, where it starves
  // beside the boosted pump), so pushes reach the whole budget, where the
  // pushing thread moves batches to the spool itself.
  FakeServer server;
  server.hold = true;
  ExporterOptions o = options(server);
  const uint64_t budget = 4 * part_bytes();
  o.memory_max_bytes = budget;
  Exporter exporter(o);
  uint64_t most_queued = 0;
  for (int i = 0; i < 1000; i += 10) {
    push(exporter, i, i + 10);
    most_queued = std::max(most_queued, exporter.stats().queued_bytes);
  }
  EXPECT_LE(most_queued, budget + 2 * part_bytes());  // the budget, the open batch, one in flight
  ExporterStats s = exporter.stats();
  EXPECT_EQ(s.dropped(), 0u);
  expect_balanced(s);
  server.hold = false;
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 1000; }));
  EXPECT_EQ(sorted(server.paths()), sorted(expected_paths(0, 1000)));  // each record once
  EXPECT_EQ(exporter.stats().dropped(), 0u);
}

TEST_F(ExporterTest, APartIsSentAsEncodedAndItsBufferComesBackToTheAgent) {
  FakeServer server;
  Exporter exporter(options(server));
  auto batch = records(0, 6);
  edit(batch[5].local_identity).node = "elsewhere";
  EncodedRecords part;
  part.append(batch, "node-a");  // as the agent encodes: its node on records without one
  exporter.push(part);
  EXPECT_TRUE(part.empty());
  part.append(records(6, 12), "node-a");  // 6 + 6 > batch_records: a batch of its own
  exporter.push(part);
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 12; }));
  EXPECT_EQ(server.paths(), expected_paths(0, 12));
  std::vector<std::string> nodes;
  for (const std::string& body : server.codec_bodies()) {
    auto decoded = decode_batch(body);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->records.size(), 6u);
    for (const Record& r : decoded->records) nodes.push_back(r.node());
  }
  std::vector<std::string> expected(12, "node-a");
  expected[5] = "elsewhere";
  EXPECT_EQ(nodes, expected);
  // The encoded parts' buffers are spares now: the next push hands one
  // back, emptied, for the agent to fill in memory already faulted in.
  part.append(records(12, 13), "node-a");
  exporter.push(part);
  EXPECT_TRUE(part.empty());
  EXPECT_GT(part.memory_bytes(), EncodedRecords().memory_bytes());
  expect_balanced(exporter.stats());
}

TEST_F(ExporterTest, APartArrivingAfterAQuietSpellIsSentWithinTheFlushInterval) {
  // With nothing open the sending thread sleeps until its next stats report
  // (an hour here): the part that opens a batch must wake it, each time.
  FakeServer server;
  ExporterOptions o = options(server);
  o.stats_interval = 1h;
  Exporter exporter(o);
  for (int round = 0; round < 2; ++round) {
    std::this_thread::sleep_for(100ms);  // the thread asleep, nothing open
    auto pushed = std::chrono::steady_clock::now();
    push(exporter, round * 3, round * 3 + 3);  // fewer than batch_records: closed by age
    ASSERT_TRUE(eventually([&] { return exporter.stats().sent == uint64_t(round * 3 + 3); }));
    EXPECT_LT(std::chrono::steady_clock::now() - pushed, 2s);
  }
  EXPECT_EQ(server.paths(), expected_paths(0, 6));
  expect_balanced(exporter.stats());
}

TEST_F(ExporterTest, BatchesGoOverOneConnectionReopenedWhenTheServerClosesIt) {
  FakeServer server;  // httplib closes a connection after its fifth request
  ExporterOptions o = options(server);
  o.stats_interval = 1h;  // one report, at start
  Exporter exporter(o);
  for (int i = 0; i < 120; i += 10) {
    push(exporter, i, i + 10);
    ASSERT_TRUE(eventually([&] { return exporter.stats().sent == static_cast<uint64_t>(i + 10); }));
  }
  EXPECT_EQ(server.paths(), expected_paths(0, 120));
  std::vector<int> ports = server.ports();
  ASSERT_EQ(ports.size(), 12u);
  std::sort(ports.begin(), ports.end());
  // A connection per POST would be 12 ports; kept alive, a few.
  EXPECT_LE(std::unique(ports.begin(), ports.end()) - ports.begin(), 4);
  EXPECT_EQ(exporter.stats().failures, 0u);  // reconnecting is not a failed send
  expect_balanced(exporter.stats());
}

TEST_F(ExporterTest, WithoutASpoolMemoryIsBoundedAndLossesCounted) {
  FakeServer server;
  server.status = 503;
  ExporterOptions o = options(server);
  o.spool_dir.clear();
  o.memory_max_bytes = 2 * part_bytes();
  Exporter exporter(o);
  push(exporter, 0, 200);
  ExporterStats s = exporter.stats();
  EXPECT_LE(s.queued_bytes, 3 * part_bytes());  // the budget and the open batch
  EXPECT_GT(s.dropped_memory_full, 0u);
  expect_balanced(s);
  exporter.stop();
  s = exporter.stats();
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.sent, 0u);
  expect_balanced(s);
}

TEST_F(ExporterTest, BatchesAnOlderAgentSpooledAsJsonAreStillSent) {
  {
    Spool spool(dir_ + "/spool", 1 << 20);
    std::string json = R"({"batch":{"agent":"older","seq":3},"records":[{"path":"/old0"},)"
                       R"({"path":"/old1"}]})";
    ASSERT_TRUE(spool.append(2, gzip_compress(json), BodyFormat::GzipJson));
  }
  FakeServer server;
  Exporter exporter(options(server));
  EXPECT_EQ(exporter.stats().inherited, 2u);
  push(exporter, 0, 10);
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 12; }));
  std::vector<std::string> expected{"/old0", "/old1"};
  for (const std::string& p : expected_paths(0, 10)) expected.push_back(p);
  EXPECT_EQ(server.paths(), expected);
  EXPECT_EQ(server.keys().front(), "older/3");
  expect_balanced(exporter.stats());
}

TEST_F(ExporterTest, ASpooledBatchThatDoesNotDecodeIsCountedCorrupt) {
  {
    Spool spool(dir_ + "/spool", 1 << 20);  // checksummed, but not a batch
    ASSERT_TRUE(spool.append(4, "not the batch codec", BodyFormat::Records));
  }
  FakeServer server;
  Exporter exporter(options(server));
  push(exporter, 0, 10);
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 10; }));
  ExporterStats s = exporter.stats();
  EXPECT_EQ(s.inherited, 4u);
  EXPECT_EQ(s.dropped_corrupt, 4u);
  EXPECT_EQ(s.spooled, 0u);
  expect_balanced(s);
}

TEST_F(ExporterTest, SendsTheCodecAndSpooledBatchesAsTheyLieOnDisk) {
  std::vector<Record> earlier = records(100, 103);
  const std::string spooled = encode_batch({"earlier-run", 9}, earlier);
  {
    Spool spool(dir_ + "/spool", 1 << 20);
    ASSERT_TRUE(spool.append(3, spooled, BodyFormat::Records));
  }
  FakeServer server;
  Exporter exporter(options(server));
  push(exporter, 0, 20);
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 23; }));
  EXPECT_EQ(server.forms(), (std::vector<std::string>{"codec", "codec", "codec"}));
  EXPECT_EQ(server.codec_bodies().front(), spooled);  // byte for byte: not re-encoded
  EXPECT_EQ(server.keys().front(), "earlier-run/9");
  std::vector<std::string> expected = expected_paths(100, 103);
  for (const std::string& p : expected_paths(0, 20)) expected.push_back(p);
  EXPECT_EQ(server.paths(), expected);
  expect_balanced(exporter.stats());
}

// A server that does not read the codec: the first batch is sent again as
// JSON right away, and every later one goes as JSON, spooled ones too; the
// log says so once.
void expect_json_from_then_on(int refusal, const std::string& spool_dir, ExporterOptions options,
                              FakeServer& server) {
  {
    Spool spool(spool_dir, 1 << 20);
    ASSERT_TRUE(
        spool.append(3, encode_batch({"earlier-run", 9}, records(100, 103)), BodyFormat::Records));
  }
  server.codec_refusal = refusal;
  ::testing::internal::CaptureStderr();
  {
    Exporter exporter(options);
    push(exporter, 0, 30);
    ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 33; }));
    EXPECT_EQ(exporter.stats().rejected, 0u);
    expect_balanced(exporter.stats());
  }
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(server.forms(), (std::vector<std::string>{"codec", "json", "json", "json", "json"}));
  std::vector<std::string> expected = expected_paths(100, 103);
  for (const std::string& p : expected_paths(0, 30)) expected.push_back(p);
  EXPECT_EQ(server.paths(), expected);
  EXPECT_EQ(server.keys().front(), "earlier-run/9");  // the spooled batch's key, kept
  const std::string said = "does not take application/vnd.loupe.batch+zstd batches (answered " +
                           std::to_string(refusal) + "); sending JSON";
  size_t at = log.find(said);
  EXPECT_NE(at, std::string::npos) << log;
  EXPECT_EQ(log.find(said, at + 1), std::string::npos) << "said more than once: " << log;
}

TEST_F(ExporterTest, AServerAnswering415GetsJsonFromThenOn) {
  FakeServer server;
  expect_json_from_then_on(415, dir_ + "/spool", options(server), server);
}

TEST_F(ExporterTest, AServerFromBeforeTheCodecAnswering400GetsJsonFromThenOn) {
  FakeServer server;
  expect_json_from_then_on(400, dir_ + "/spool", options(server), server);
}

TEST_F(ExporterTest, ABatchRefusedInBothFormsIsSetAsideAndTheCodecKept) {
  FakeServer server;
  server.status = 400;  // JSON refused too: the batch itself is bad
  server.codec_refusal = 400;
  Exporter exporter(options(server));
  push(exporter, 0, 10);
  ASSERT_TRUE(eventually([&] { return exporter.stats().rejected == 10; }));
  server.status = 200;
  server.codec_refusal = 0;
  push(exporter, 10, 20);
  ASSERT_TRUE(eventually([&] { return exporter.stats().sent == 10; }));
  EXPECT_EQ(server.forms(), (std::vector<std::string>{"codec", "json", "codec"}));
  EXPECT_EQ(server.paths(), expected_paths(10, 20));
  expect_balanced(exporter.stats());
}

}  // namespace
}  // namespace loupe
