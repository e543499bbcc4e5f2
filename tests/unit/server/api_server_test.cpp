#include "server/api_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "../store/gated_store.h"
#include "../store/temp_dir.h"
#include "api_server_fixture.h"
#include "core/record_json.h"
#include "core/time_format.h"
#include "pipeline/record_pipeline.h"
#include "protocols/registry.h"

namespace loupe::server {
namespace {

using nlohmann::json;

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST_F(ApiServerTest, Services) {
  seed();
  json j = get_json("/api/v1/services");
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["name"], "api:8000");
  EXPECT_EQ(j[0]["kind"], "process");
  EXPECT_EQ(j[0]["ports"], json::array({8000}));
  EXPECT_EQ(j[0]["requests"], 100);
  EXPECT_EQ(j[0]["errors"], 10);
  EXPECT_DOUBLE_EQ(j[0]["error_rate"].get<double>(), 0.1);
  EXPECT_GT(j[0]["p99_ms"].get<double>(), j[0]["p50_ms"].get<double>());
  for (const char* k : {"rate_per_s", "p95_ms"}) EXPECT_TRUE(j[0].contains(k));
  EXPECT_FALSE(j[0].contains("series")) << "only with step";
}

TEST_F(ApiServerTest, ServicesWithSeriesAsLatencyGivesThem) {
  seed();
  json j = get_json("/api/v1/services?step=120&q=0.5");
  ASSERT_EQ(j.size(), 1u);
  json want = get_json("/api/v1/latency?service=api:8000&step=120&q=0.5");
  EXPECT_EQ(j[0]["series"], want);
  int requests = 0, errors = 0;
  for (const auto& p : j[0]["series"]) {
    requests += p["count"].get<int>();
    errors += p["errors"].get<int>();
  }
  EXPECT_EQ(requests, 100);
  EXPECT_EQ(errors, 10);
  expect_bad("/api/v1/services?step=90", "step");
  expect_bad("/api/v1/services?step=60&from=1764000000&to=1764090000", "step");  // > 1000 points
  expect_bad("/api/v1/services?step=60&q=2", "q");
}

TEST_F(ApiServerTest, EndpointsFilteredByService) {
  seed();
  json j = get_json("/api/v1/endpoints?service=api:8000");
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["method"], "GET");
  EXPECT_EQ(j[0]["protocol"], "http1");
  EXPECT_EQ(j[0]["requests"].get<int>() + j[1]["requests"].get<int>(), 100);
  EXPECT_TRUE(get_json("/api/v1/endpoints?service=other").empty());
}

TEST_F(ApiServerTest, LatencySeries) {
  seed();
  json j = get_json("/api/v1/latency?service=api:8000&route=/health&q=0.5&step=60");
  ASSERT_GE(j.size(), 15u);
  int total = 0;
  for (const auto& p : j) {
    EXPECT_EQ(p["t"].get<uint64_t>() % 60, 0u);
    total += p["count"].get<int>();
  }
  EXPECT_EQ(total, 50);
}

TEST_F(ApiServerTest, RequestsNewestFirstWithFilters) {
  seed();
  json j = get_json("/api/v1/requests?service=api:8000&limit=3");
  ASSERT_EQ(j.size(), 3u);
  EXPECT_GT(j[0]["start_ns"].get<uint64_t>(), j[1]["start_ns"].get<uint64_t>());
  EXPECT_EQ(j[0]["service"], "api:8000");
  EXPECT_EQ(j[0]["comm"], "api");
  EXPECT_TRUE(j[0]["counted"].get<bool>());
  j = get_json("/api/v1/requests?status=500&protocol=http1&min_duration_ms=50&limit=100");
  for (const auto& r : j) {
    EXPECT_EQ(r["status"], 500);
    EXPECT_GE(r["duration_ns"].get<uint64_t>(), 50 * kMs);
  }
  EXPECT_EQ(j.size(), 6u);  // i = 40, 50, ..., 90
  std::string from = format_rfc3339_ns(now_unix_ns() - 3600 * kSec);
  EXPECT_EQ(get_json("/api/v1/requests?limit=1000&from=" + from).size(), 100u);
}

TEST_F(ApiServerTest, StatusIncludesAgentAndStore) {
  seed();
  json j = get_json("/api/v1/status");
  EXPECT_EQ(j["version"], LOUPE_VERSION);
  EXPECT_GE(j["uptime_s"].get<double>(), 0);
  EXPECT_EQ(j["agent"]["probes_attached"], 7);
  EXPECT_EQ(j["store"]["records_stored"], 100);
  EXPECT_GT(j["store"]["store_size_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["store"]["ingest"]["dropped"], 0);
}

TEST_F(ApiServerTest, DoctorServesTheProvidersChecksFreshEachTime) {
  EXPECT_NE(get_json("/api/v1/doctor", 404)["error"].get<std::string>().find("no doctor checks"),
            std::string::npos);
  ApiOptions opts;
  int calls = 0;
  opts.doctor_provider = [&calls] {
    ++calls;
    return json{{"ok", false},
                {"checks", {{{"name", "BTF"}, {"status", "fail"}, {"fix", "enable BTF"}}}}};
  };
  start(opts);
  json j = get_json("/api/v1/doctor");
  EXPECT_FALSE(j["ok"]);
  EXPECT_EQ(j["checks"][0]["fix"], "enable BTF");
  get_json("/api/v1/doctor");
  EXPECT_EQ(calls, 2);
}

TEST_F(ApiServerTest, BadParametersAre400WithTheParameterNamed) {
  expect_bad("/api/v1/latency?service=a&q=abc", "q");
  expect_bad("/api/v1/latency?service=a&q=1.5", "q");
  expect_bad("/api/v1/latency?service=a&step=0", "step");
  expect_bad("/api/v1/latency?service=a&step=-60", "step");
  expect_bad("/api/v1/latency?service=a&step=61", "step");
  expect_bad("/api/v1/latency?service=a&step=60&from=0&to=1764000000", "step");  // too many points
  expect_bad("/api/v1/latency?route=/x", "service");
  expect_bad("/api/v1/services?from=1764000600&to=1764000000", "from");
  expect_bad("/api/v1/services?from=yesterday", "from");
  expect_bad("/api/v1/endpoints?to=2026-13-45T99:00:00Z", "to");
  expect_bad("/api/v1/requests?limit=-1", "limit");
  expect_bad("/api/v1/requests?limit=0", "limit");
  expect_bad("/api/v1/requests?limit=ten", "limit");
  expect_bad("/api/v1/requests?status=abc", "status");
  expect_bad("/api/v1/requests?protocol=smtp", "protocol");
  expect_bad("/api/v1/requests?min_duration_ms=-5", "min_duration_ms");
  expect_bad("/api/v1/requests?self=yes", "self");
  expect_bad("/api/v1/endpoints?self=1", "self");
}

TEST_F(ApiServerTest, ProtocolsListsTheRegistryAndTheRequestFilterAcceptsEach) {
  seed();  // HTTP/1 records only
  json list = get_json("/api/v1/protocols");
  ASSERT_EQ(list.size(), protocol_modules().size());
  json refused = get_json("/api/v1/requests?protocol=smtp", 400);
  for (const json& p : list) {
    const std::string name = p["name"];
    EXPECT_EQ(get_json("/api/v1/requests?protocol=" + name).empty(), name != "http1") << name;
    EXPECT_NE(refused["error"].get<std::string>().find(name), std::string::npos) << name;
    EXPECT_FALSE(p["display_name"].get<std::string>().empty()) << name;
    EXPECT_FALSE(p["fields"]["method"].get<std::string>().empty()) << name;
  }
  EXPECT_EQ(list[0]["name"], "http1");
  EXPECT_EQ(list[0]["display_name"], "HTTP/1.x");
  EXPECT_EQ(list[0]["default_ports"][0], 80);
  EXPECT_TRUE(list[0]["carried_by"].is_null());
  auto grpc =
      std::find_if(list.begin(), list.end(), [](const json& p) { return p["name"] == "grpc"; });
  ASSERT_NE(grpc, list.end());
  EXPECT_EQ((*grpc)["carried_by"], "http2");
  EXPECT_EQ((*grpc)["docs"], "docs/protocols/http2.md");
}

TEST_F(ApiServerTest, TimesAcceptUnixAndRfc3339) {
  get_json("/api/v1/services?from=1764000000&to=2025-11-25T12:00:00Z");
  get_json("/api/v1/services?from=1764000000.5&to=1764000900");
}

TEST_F(ApiServerTest, UnknownApiPathIs404Json) {
  json j = get_json("/api/v1/nope", 404);
  EXPECT_NE(j["error"].get<std::string>().find("/api/v1/nope"), std::string::npos);
}

TEST_F(ApiServerTest, NoUiServesHelpPage) {
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("/api/v1"), std::string::npos);
  EXPECT_NE(res->body.find("scripts/build-ui.sh"), std::string::npos);
}

TEST_F(ApiServerTest, ServesUiWithIndexFallback) {
  std::string ui = dir_.path() + "/ui";
  std::filesystem::create_directories(ui + "/assets");
  std::ofstream(ui + "/index.html") << "<html>loupe-ui</html>";
  std::ofstream(ui + "/assets/app.js") << "console.log(1)";
  ApiOptions o;
  o.ui_dir = ui;
  start(o);
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("loupe-ui"), std::string::npos);
  res = client_->Get("/assets/app.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "console.log(1)");
  res = client_->Get("/services/api:8000");  // a client-side route
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("loupe-ui"), std::string::npos);
  get_json("/api/v1/nope", 404);  // the API still wins over the fallback
}

std::string ingest_body(int n) {
  json recs = json::array();
  uint64_t now = now_unix_ns();
  for (int i = 0; i < n; ++i)
    recs.push_back(record_to_json(server_record(now - 10 * kSec, 3 * kMs, "/ingested", 200)));
  return json{{"records", recs}}.dump();
}

TEST_F(ApiServerTest, IngestWithTokenAndGzip) {
  ApiOptions o;
  o.token = "s3cret";
  start(o);
  auto res = client_->Post("/api/v1/ingest", ingest_body(3), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body)["parameter"], "Authorization");

  httplib::Headers wrong{{"Authorization", "Bearer s3cres"}};
  res = client_->Post("/api/v1/ingest", wrong, ingest_body(3), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);

  httplib::Headers auth{{"Authorization", "Bearer s3cret"}};
  res = client_->Post("/api/v1/ingest", auth, ingest_body(3), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["accepted"], 3);

  httplib::Headers gz{{"Authorization", "Bearer s3cret"}, {"Content-Encoding", "gzip"}};
  res = client_->Post("/api/v1/ingest", gz, gzip(ingest_body(5)), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["accepted"], 5);

  queue_->flush();
  EXPECT_EQ(client_->Get("/api/v1/requests")->status, 401);  // reads need the token too
  client_->set_bearer_token_auth("s3cret");
  json j = get_json("/api/v1/requests?route=/ingested&limit=100");
  EXPECT_EQ(j.size(), 8u);
}

TEST_F(ApiServerTest, IngestRejectsMalformedBodies) {
  auto post = [&](const std::string& body) {
    auto res = client_->Post("/api/v1/ingest", body, "application/json");
    EXPECT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body;
    return json::parse(res->body)["parameter"].get<std::string>();
  };
  EXPECT_EQ(post("not json"), "body");
  EXPECT_EQ(post("[1,2]"), "body");
  EXPECT_EQ(post(R"({"batch":{"agent":"a","seq":1}})"), "records");
  EXPECT_EQ(post(R"({"records":[{"start_ns":1},{"start_ns":"x"}]})"), "records[1]");
}

TEST_F(ApiServerTest, IngestAnswers200OnlyOnceStored) {
  auto res = client_->Post("/api/v1/ingest", ingest_body(4), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  // No flush: the answer came after the commit.
  EXPECT_EQ(store_->stats().records_stored, 4u);
  EXPECT_EQ(get_json("/api/v1/requests?route=/ingested&limit=100").size(), 4u);
}

// The API in front of a store whose writes block (or fail) on demand.
class GatedIngestTest : public ::testing::Test {
 protected:
  void start(size_t capacity_records) {
    pipeline::IngestOptions io;
    io.capacity_records = capacity_records;
    io.flush_interval = std::chrono::milliseconds(1);
    io.min_round_records = 0;
    queue_ = std::make_unique<pipeline::IngestQueue>(store_, io);
    ApiOptions o;
    o.listen = "127.0.0.1:0";
    o.ingest_commit_timeout = std::chrono::milliseconds(200);
    api_ = std::make_unique<ApiServer>(store_, *queue_, o);
    api_->start();
    client_ = std::make_unique<httplib::Client>(api_->url());
  }
  void TearDown() override {
    store_.open();
    api_.reset();
    queue_.reset();
  }
  void expect_503(int records, const std::string& says) {
    auto res = client_->Post("/api/v1/ingest", ingest_body(records), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503) << res->body;
    EXPECT_EQ(res->get_header_value("Retry-After"), "1");
    EXPECT_NE(json::parse(res->body).value("error", "").find(says), std::string::npos) << res->body;
  }

  testing::GatedStore store_;
  std::unique_ptr<pipeline::IngestQueue> queue_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(GatedIngestTest, QueueFullIs503) {
  start(2);
  queue_->push(std::vector<Record>(2));  // the writer takes it and blocks
  for (int i = 0; i < 100 && queue_->stats().queued > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  queue_->push(std::vector<Record>(2));  // now the queue is full
  expect_503(3, "queue is full");
  EXPECT_EQ(queue_->stats().refused, 3u);
  EXPECT_EQ(queue_->stats().dropped, 0u);  // not lost: the agent sends it again
}

TEST_F(GatedIngestTest, NotCommittedInTimeIs503AndNotStored) {
  start(1000);
  queue_->push(std::vector<Record>(1));  // the writer takes it and blocks on the store
  for (int i = 0; i < 100 && queue_->stats().queued > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  expect_503(3, "did not commit");
  store_.open();
  queue_->flush();
  EXPECT_EQ(store_.written(), 1u);  // the batch was taken back: the retry is the only copy
}

TEST_F(GatedIngestTest, StoreErrorIs503) {
  start(1000);
  store_.fail(true);
  store_.open();
  expect_503(3, "disk is full");
  store_.fail(false);
  auto res = client_->Post("/api/v1/ingest", ingest_body(3), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(store_.written(), 3u);
}

TEST_F(ApiServerTest, LossesPerMinute) {
  uint64_t now = now_unix_ns();
  queue_->count_lost_events(now - 120 * kSec, 5);
  queue_->count_lost_events(now - 60 * kSec, 2);
  queue_->flush();
  json j = get_json("/api/v1/losses");
  EXPECT_EQ(j["events"], 7);
  EXPECT_EQ(j["records"], 0);
  ASSERT_EQ(j["minutes"].size(), 2u);
  EXPECT_EQ(j["minutes"][0]["events"], 5);
  EXPECT_EQ(j["minutes"][0]["t"].get<uint64_t>() % 60, 0u);
  EXPECT_EQ(get_json("/api/v1/losses?to=" + std::to_string(now / kSec - 600))["minutes"].size(),
            0u);
}

TEST_F(ApiServerTest, IngestCapsRecordsPerBatchBeforeBuildingThem) {
  ApiOptions o;
  o.ingest_limits.max_records = 10;
  start(o);
  // 1,000,000 empty records would be 3 KB of gzip.
  std::string body = R"({"records":[)";
  for (int i = 0; i < 1'000'000; ++i) body += i ? ",{}" : "{}";
  body += "]}";
  httplib::Headers gz{{"Content-Encoding", "gzip"}};
  std::string packed = gzip(body);
  EXPECT_LT(packed.size(), 8'000u);
  auto res = client_->Post("/api/v1/ingest", gz, packed, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413) << res->body;
  json j = json::parse(res->body);
  EXPECT_EQ(j["max_records"], 10);
  EXPECT_EQ(j["parameter"], "records");
  res = client_->Post("/api/v1/ingest", ingest_body(10), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(get_json("/api/v1/status")["ingest_rejected"]["batches_too_large"], 1);
}

TEST_F(ApiServerTest, IngestDropsAndCountsOversizeAndOutOfWindowRecords) {
  ApiOptions o;
  o.ingest_limits.retention_ns = 3600 * kSec;
  start(o);
  uint64_t now = now_unix_ns();
  json recs = json::array();
  recs.push_back(record_to_json(server_record(now - 10 * kSec, kMs, "/fine", 200)));
  Record huge = server_record(now - 10 * kSec, kMs, "/huge", 200);
  huge.path = "/" + std::string(1 << 20, 'a');  // far past the field limit, within the body cap
  recs.push_back(record_to_json(huge));
  const uint64_t year_2200 = 7'258'118'400ULL * kSec;
  recs.push_back(record_to_json(server_record(year_2200, kMs, "/future", 200)));
  recs.push_back(record_to_json(server_record(now - 7200 * kSec, kMs, "/expired", 200)));
  recs.push_back(json::object());  // no time at all
  auto res = client_->Post("/api/v1/ingest", json{{"records", recs}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body.substr(0, 300);
  json j = json::parse(res->body);
  EXPECT_EQ(j["accepted"], 1);
  EXPECT_EQ(j["rejected"], 4);
  EXPECT_EQ(j["rejected_by_reason"]["oversize_field"], 1);
  EXPECT_EQ(j["rejected_by_reason"]["bad_time"], 3);
  queue_->flush();
  EXPECT_EQ(get_json("/api/v1/requests?limit=100").size(), 1u);
  json st = get_json("/api/v1/status")["ingest_rejected"];
  EXPECT_EQ(st["records_oversize_field"], 1);
  EXPECT_EQ(st["records_bad_time"], 3);
}

TEST_F(ApiServerTest, BytesThatAreNotUtf8InTheStoreStillAnswer200) {
  // A store written before records were cleaned can hold any bytes.
  uint64_t now = now_unix_ns();
  pipeline::RecordPipeline(*store_).write(
      {server_record(now - 60 * kSec, kMs, "/poison\xff", 200)});
  json e = get_json("/api/v1/endpoints");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["route"], "/poison\xef\xbf\xbd");
  EXPECT_EQ(get_json("/api/v1/requests")[0]["path"], "/poison\xef\xbf\xbd");
}

TEST_F(ApiServerTest, ListEndpointsTakeALimitKeepingTheBusiest) {
  seed();  // /users/{id} and /health, 50 requests each
  uint64_t now = now_unix_ns();
  pipeline::RecordPipeline(*store_).write({server_record(now - 60 * kSec, kMs, "/rare", 200)});
  EXPECT_EQ(get_json("/api/v1/endpoints").size(), 3u);
  json two = get_json("/api/v1/endpoints?limit=2");
  ASSERT_EQ(two.size(), 2u);
  for (const auto& e : two) EXPECT_NE(e["route"], "/rare");
  EXPECT_EQ(get_json("/api/v1/services?limit=1").size(), 1u);
  EXPECT_EQ(get_json("/api/v1/map?limit=1")["edges"].size(), 0u);
  expect_bad("/api/v1/endpoints?limit=0", "limit");
  expect_bad("/api/v1/services?limit=x", "limit");
}

TEST(ApiServerStart, PortInUseIsAClearError) {
  testing::TempDir dir;
  auto st = store::open_sqlite_store(dir.path());
  pipeline::IngestQueue q(*st);
  ApiServer first(*st, q, {.listen = "127.0.0.1:0"});
  first.start();
  std::string addr = first.url().substr(std::string("http://").size());
  ApiServer second(*st, q, {.listen = addr});
  try {
    second.start();
    FAIL() << "expected ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(std::string(e.what()), addr + " is in use; pass --listen");
  }
}

}  // namespace
}  // namespace loupe::server
