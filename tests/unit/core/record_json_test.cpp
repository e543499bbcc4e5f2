#include "core/record_json.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace loupe {
namespace {

TEST(RecordJson, RoundTripsEveryField) {
  Record r;
  r.start_ns = 1'795'612'146'249'843'911ULL;
  r.end_ns = r.start_ns + 68'191;
  r.protocol = Protocol::Postgres;
  r.role = Role::Server;
  r.tls = true;
  r.pid = 42;
  r.comm = "postgres";
  r.local_addr = "127.0.0.1:5432";
  r.remote_addr = "[::1]:40000";
  r.method = "SELECT";
  r.path = "select * from t where a = ?";
  r.route = r.path;
  r.status = 0;
  r.error = true;
  r.error_code = "42P01";
  r.error_message = "relation \"t\" does not exist";
  r.req_bytes = 10;
  r.resp_bytes = 20;
  edit(r.local_identity).namespace_ = "shop";
  edit(r.remote_identity).service = "db";
  std::string text;
  append_record_json(text, r);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["ts"], "2026-11-25T13:09:06.249843911Z");
  EXPECT_EQ(j["duration_ns"], 68'191);
  EXPECT_EQ(j["protocol"], "postgres");
  Record back = record_from_json(j);
  EXPECT_EQ(back.start_ns, r.start_ns);
  EXPECT_EQ(back.protocol, r.protocol);
  EXPECT_EQ(back.role, r.role);
  EXPECT_EQ(back.error_message, r.error_message);
  EXPECT_EQ(back.namespace_(), "shop");
  EXPECT_EQ(back.remote_service(), "db");
  EXPECT_EQ(record_to_json(r), j);
}

TEST(RecordJson, AnyCapturedBytesGiveValidJson) {
  Record r;
  // control bytes, quotes, a lone continuation byte, a truncated 3-byte
  // sequence, an overlong encoding, valid UTF-8 and DEL.
  r.path = std::string("a\"b\\c\n\x01\x80\xe2\x82\xc0\xafé€\x7f", 18);
  std::string text;
  append_record_json(text, r);
  auto j = nlohmann::json::parse(text);  // throws on invalid JSON or UTF-8
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(j["path"].get<std::string>(),
            "a\"b\\c\n\x01" + fffd + fffd + fffd + fffd + fffd + "é€\x7f");
}

TEST(RecordJson, TheWireFormLeavesOutDefaultsAndReadsBackTheSame) {
  Record r;
  r.start_ns = 1'795'612'146'249'843'911ULL;
  r.end_ns = r.start_ns + 5'000;
  r.protocol = Protocol::Redis;
  r.role = Role::Client;
  r.pid = 7;
  r.comm = "redis-benchmark";
  r.method = "SET";
  r.status = -1;
  r.resp_bytes = 5;
  std::string wire;
  append_record_json(wire, r, RecordKeys::NonDefault);
  auto j = nlohmann::json::parse(wire);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"comm", "end_ns", "method", "pid", "protocol",
                                            "resp_bytes", "role", "start_ns", "status"}));
  std::string full, back;
  append_record_json(full, r);
  append_record_json(back, record_from_json(j));
  EXPECT_EQ(back, full);
  EXPECT_LT(wire.size() * 3, full.size());

  std::string empty;
  append_record_json(empty, Record{}, RecordKeys::NonDefault);
  EXPECT_EQ(empty, "{}");
}

}  // namespace
}  // namespace loupe
