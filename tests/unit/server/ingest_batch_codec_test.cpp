// POST /api/v1/ingest in the batch codec's form (what `loupe agent` sends):
// the Content-Type picks the decoder, the records get the checks JSON
// records get, the batch key makes a resent batch count once, and damaged
// bodies are answered 400 (a later codec version 415, past a bound 413),
// counted, never stored.
#include <gtest/gtest.h>
#include <httplib.h>
#include <zstd.h>

#include "../core/batch_codec_v1.h"
#include "api_server_fixture.h"
#include "core/batch_codec.h"
#include "core/record_json.h"
#include "server/ingest_decode.h"

namespace loupe::server {
namespace {

using nlohmann::json;
const std::string kCodec(kBatchMediaType);

Record record(uint64_t start_ns, const std::string& path) {
  return server_record(start_ns, 2 * kMs, path, 200);
}

std::vector<Record> records(int n, const std::string& path) {
  return std::vector<Record>(n, record(now_unix_ns() - 10 * kSec, path));
}

std::string zstd(std::string_view raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1));
  return out;
}

class IngestBatchCodecTest : public ApiServerTest {
 protected:
  httplib::Result post(const std::string& body, const std::string& type = kCodec) {
    return client_->Post("/api/v1/ingest", body, type);
  }
  json status() { return get_json("/api/v1/status"); }
  size_t stored(const std::string& path) {
    queue_->flush();
    return get_json("/api/v1/requests?limit=1000&route=" + path).size();
  }
};

TEST_F(IngestBatchCodecTest, ABatchInTheCodecIsStoredOncePerKey) {
  std::string body = encode_batch({"agent-1", 7}, records(3, "/codec"));
  auto res = post(body);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["accepted"], 3);
  EXPECT_EQ(stored("/codec"), 3u);
  // The same batch again (its answer lost): acknowledged, stored once.
  res = post(body);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["duplicate"], true);
  EXPECT_EQ(stored("/codec"), 3u);
  EXPECT_EQ(status()["ingest_duplicate_batches"], 1);
  // The media type's case and parameters do not matter.
  res = post(encode_batch({"agent-1", 8}, records(2, "/codec")),
             "Application/VND.loupe.batch+zstd; version=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(stored("/codec"), 5u);
}

TEST_F(IngestBatchCodecTest, JsonIsStillTakenAndTheTwoFormsShareBatchKeys) {
  json j{{"batch", {{"agent", "agent-2"}, {"seq", 1}}}, {"records", json::array()}};
  for (const Record& r : records(4, "/both")) j["records"].push_back(record_to_json(r));
  auto res = post(j.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  // An agent that fell back to JSON and resends the batch in the codec (or
  // the other way round) is recognised by the key alone.
  res = post(encode_batch({"agent-2", 1}, records(4, "/both")));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["duplicate"], true);
  EXPECT_EQ(stored("/both"), 4u);
}

TEST_F(IngestBatchCodecTest, AVersionOneBodyFromAnOlderAgentIsStored) {
  // Agents before codec version 3 (and their spools) send version 1.
  auto res = post(test::encode_batch_v1({"agent-old", 1}, records(3, "/v1")));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["accepted"], 3);
  EXPECT_EQ(stored("/v1"), 3u);
}

TEST_F(IngestBatchCodecTest, DamagedBodiesAre400CountedAndNothingStored) {
  std::string good = encode_batch({"agent-3", 1}, records(3, "/damaged"));
  const std::string bodies[] = {
      "",                                // empty
      "not zstd at all",                 // not a frame
      R"({"records": []})",              // JSON sent under the codec's type
      good.substr(0, good.size() - 3),   // cut short
      zstd(std::string("\x01\x01", 2)),  // a frame, but the batch is cut short
  };
  for (const std::string& body : bodies) {
    auto res = post(body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    json err = json::parse(res->body);
    EXPECT_EQ(err["parameter"], "body");
    EXPECT_NE(err["error"].get<std::string>().find(kCodec), std::string::npos) << err;
  }
  EXPECT_EQ(status()["ingest_rejected"]["bad_batches"], std::size(bodies));
  EXPECT_EQ(stored("/damaged"), 0u);
}

TEST_F(IngestBatchCodecTest, ABatchKeyNamingNoAgentIs400) {
  auto res = post(encode_batch({"", 1}, records(1, "/nokey")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["parameter"], "batch");
  res = post(encode_batch({std::string(kMaxAgentIdBytes + 1, 'a'), 1}, records(1, "/nokey")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(stored("/nokey"), 0u);
}

TEST_F(IngestBatchCodecTest, ALaterCodecVersionIs415SoTheAgentSendsJson) {
  auto res = post(zstd("\x02 a later layout"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415) << res->body;
  EXPECT_NE(json::parse(res->body)["error"].get<std::string>().find("application/json"),
            std::string::npos);
}

TEST_F(IngestBatchCodecTest, TheBoundsOfJsonBatchesHold) {
  ApiOptions o;
  o.ingest_limits.max_records = 10;
  o.limits.max_body_bytes = 1 << 20;
  start(o);
  auto res = post(encode_batch({"agent-4", 1}, records(11, "/bounds")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413) << res->body;
  EXPECT_EQ(json::parse(res->body)["max_records"], 10);
  // Small on the wire, past the body cap once decompressed.
  Record big = record(now_unix_ns() - 10 * kSec, "/bounds");
  big.detail = std::string(200'000, 'x');
  std::string body = encode_batch({"agent-4", 2}, std::vector<Record>(8, big));
  EXPECT_LT(body.size(), 64'000u);
  res = post(body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413) << res->body;
  EXPECT_EQ(status()["ingest_rejected"]["batches_too_large"], 2);
  res = post(encode_batch({"agent-4", 3}, records(10, "/bounds")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(stored("/bounds"), 10u);
}

TEST(IngestBatchCodecDecode, RecordsGetTheChecksJsonRecordsGet) {
  const uint64_t now = 1'800'000'000ULL * kSec;
  IngestLimits limits;
  limits.retention_ns = 3600 * kSec;
  std::vector<Record> in;
  in.push_back(record(now - 10 * kSec, "/fine\xff"));  // not UTF-8: as the JSON writer cleans it
  Record huge = record(now - 10 * kSec, "/huge");
  huge.path += std::string(1 << 20, 'a');
  in.push_back(huge);
  in.push_back(record(now - 7200 * kSec, "/expired"));
  in.push_back(record(now + 7200 * kSec, "/future"));
  in.push_back(record(now - 5 * kSec, "/also-fine"));
  DecodedBatch out = decode_ingest_batch_codec(encode_batch({"a", 1}, in), limits, now);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].path, "/fine\xef\xbf\xbd");
  EXPECT_EQ(out.records[1].path, "/also-fine");
  EXPECT_EQ(out.rejected.oversize_field, 1u);
  EXPECT_EQ(out.rejected.bad_time, 2u);
  ASSERT_TRUE(out.key);
  EXPECT_EQ(out.key->agent, "a");
  EXPECT_EQ(out.key->seq, 1u);
}

TEST(IngestBatchCodecDecode, OnlyTheCodecsMediaTypePicksIt) {
  EXPECT_TRUE(is_batch_codec_body("application/vnd.loupe.batch+zstd"));
  EXPECT_TRUE(is_batch_codec_body(" application/vnd.loupe.batch+ZSTD ;v=1"));
  EXPECT_FALSE(is_batch_codec_body("application/json"));
  EXPECT_FALSE(is_batch_codec_body(""));
  EXPECT_FALSE(is_batch_codec_body("application/vnd.loupe.batch"));
  EXPECT_FALSE(is_batch_codec_body("application/vnd.loupe.batch+zstdx"));
}

}  // namespace
}  // namespace loupe::server
