#include "core/record_json.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/json_writer.h"

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

// The exact bytes `loupe trace -o json` prints, every field set and every
// escape taken: the writer may change, the output may not.
TEST(RecordJson, TheUserFormByteForByte) {
  Record r;
  r.start_ns = 1'795'612'146'000'000'007ULL;
  r.end_ns = r.start_ns + 1'234'567;
  r.protocol = Protocol::Http1;
  r.role = Role::Client;
  r.tls = true;
  r.pid = 4'294'967'295U;
  r.tid = 77;
  r.comm = "wrk";
  r.local_addr = "[::1]:40000";
  r.remote_addr = "127.0.0.1:8080";
  r.method = "GET";
  r.path = "/a\"b\\c\n\r\t\x01\x1f\x7f\x80\xff\xe2\x82é€";
  r.route = "/a/{id}";
  r.host = "example.com";
  r.status = -1;
  r.error = true;
  r.error_code = "E1";
  r.error_message = "bad";
  r.detail = "d";
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  r.req_bytes = 18'446'744'073'709'551'615ULL;
  r.resp_bytes = 0;
  PodIdentity& local = edit(r.local_identity);
  local = {.node = "n",
           .namespace_ = "ns",
           .pod = "p",
           .container = "c",
           .workload = "w",
           .service = "s"};
  PodIdentity& remote = edit(r.remote_identity);
  remote = {.node = "",
            .namespace_ = "rns",
            .pod = "rp",
            .container = "",
            .workload = "rw",
            .service = "rs"};
  std::string text = "before;";
  append_record_json(text, r);
  EXPECT_EQ(
      text,
      "before;{\"ts\":\"2026-11-25T13:09:06.000000007Z\",\"start_ns\":1795612146000000007,"
      "\"end_ns\":1795612146001234574,\"duration_ns\":1234567,\"protocol\":\"http1\","
      "\"role\":\"client\",\"tls\":true,\"pid\":4294967295,\"tid\":77,\"comm\":\"wrk\","
      "\"local_addr\":\"[::1]:40000\",\"remote_addr\":\"127.0.0.1:8080\",\"method\":\"GET\","
      "\"path\":\"/a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\\u007f\\ufffd\\ufffd\\ufffd\\ufffdé€\","
      "\"route\":\"/a/{id}\",\"host\":\"example.com\",\"status\":-1,\"error\":true,"
      "\"error_code\":\"E1\",\"error_message\":\"bad\",\"detail\":\"d\","
      "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"req_bytes\":18446744073709551615,"
      "\"resp_bytes\":0,\"node\":\"n\",\"namespace\":\"ns\",\"pod\":\"p\",\"container\":\"c\","
      "\"workload\":\"w\",\"service\":\"s\",\"remote_namespace\":\"rns\",\"remote_pod\":\"rp\","
      "\"remote_workload\":\"rw\",\"remote_service\":\"rs\"}");

  // A record with nothing set: every key, defaults written.
  std::string empty;
  append_record_json(empty, Record{});
  EXPECT_EQ(empty,
            "{\"ts\":\"1970-01-01T00:00:00.000000000Z\",\"start_ns\":0,\"end_ns\":0,"
            "\"duration_ns\":0,\"protocol\":\"unknown\",\"role\":\"unknown\",\"tls\":false,"
            "\"pid\":0,\"tid\":0,\"comm\":\"\",\"local_addr\":\"\",\"remote_addr\":\"\","
            "\"method\":\"\",\"path\":\"\",\"route\":\"\",\"host\":\"\",\"status\":0,"
            "\"error\":false,\"error_code\":\"\",\"error_message\":\"\",\"detail\":\"\","
            "\"trace_id\":\"\",\"req_bytes\":0,\"resp_bytes\":0,\"node\":\"\",\"namespace\":\"\","
            "\"pod\":\"\",\"container\":\"\",\"workload\":\"\",\"service\":\"\","
            "\"remote_namespace\":\"\",\"remote_pod\":\"\",\"remote_workload\":\"\","
            "\"remote_service\":\"\"}");
}

// Each side's identity fields, whether that side has an identity (null),
// one that is set, or one set but empty: the same bytes as a member each.
TEST(RecordJson, IdentityFieldsTheSameWhetherOrNotASideHasOne) {
  auto member_by_member = [](const PodIdentity& local, const PodIdentity& remote) {
    return R"(,"node":")" + local.node + R"(","namespace":")" + local.namespace_ + R"(","pod":")" +
           local.pod + R"(","container":")" + local.container + R"(","workload":")" +
           local.workload + R"(","service":")" + local.service + R"(","remote_namespace":")" +
           remote.namespace_ + R"(","remote_pod":")" + remote.pod + R"(","remote_workload":")" +
           remote.workload + R"(","remote_service":")" + remote.service + "\"}";
  };
  const PodIdentity set{.node = "n",
                        .namespace_ = "ns",
                        .pod = "p",
                        .container = "c",
                        .workload = "w",
                        .service = "s"};
  for (int local = 0; local < 3; ++local) {
    for (int remote = 0; remote < 3; ++remote) {
      Record r;
      // 0: null; 1: set; 2: an identity with nothing in it (not interned).
      if (local > 0) edit(r.local_identity) = local == 1 ? set : PodIdentity{};
      if (remote > 0) edit(r.remote_identity) = remote == 1 ? set : PodIdentity{};
      std::string text;
      append_record_json(text, r);
      const std::string tail =
          member_by_member(local == 1 ? set : PodIdentity{}, remote == 1 ? set : PodIdentity{});
      ASSERT_GT(text.size(), tail.size());
      EXPECT_EQ(text.substr(text.size() - tail.size()), tail) << local << " " << remote;
      EXPECT_TRUE(nlohmann::json::accept(text));
      // The wire form leaves empty fields out either way.
      std::string wire;
      append_record_json(wire, r, RecordKeys::NonDefault);
      EXPECT_EQ(wire.find("remote_pod") != std::string::npos, remote == 1);
      EXPECT_EQ(wire.find("\"node\"") != std::string::npos, local == 1);
    }
  }
}

// Protocol and role names are copied unchecked: each is written as an
// escaped string would be.
TEST(RecordJson, EveryProtocolAndRoleNameAsAStringMember) {
  for (const auto& [protocol, name] : protocol_ids::kNames) {
    for (Role role : {Role::Unknown, Role::Client, Role::Server}) {
      Record r;
      r.protocol = protocol;
      r.role = role;
      std::string text, expected;
      append_record_json(text, r);
      {
        JsonObjectWriter w(expected);
        w.str("protocol", to_string(protocol));
        w.str("role", to_string(role));
      }
      // ...,"duration_ns":0,"protocol":"x","role":"y",...
      expected = expected.substr(1, expected.size() - 2);
      EXPECT_NE(text.find(",\"duration_ns\":0," + expected + ",\"tls\":"), std::string::npos)
          << text;
    }
  }
}

}  // namespace
}  // namespace loupe
