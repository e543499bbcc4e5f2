// RFC 9110/9112 requests that real servers accept, as captured: detection
// (StreamDetector, like the agent) then the parser, at every split point of
// the request and one byte per segment. Each must become one record with the
// right method, path and host.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http1_test_util.h"
#include "protocols/http1/start_line.h"
#include "protocols/stream_detector.h"

namespace loupe::http1::testing {
namespace {

struct Case {
  const char* name;
  std::string request;
  std::string method;
  std::string path;
  std::string host;
  std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  int status = 200;
};

std::vector<Case> cases() {
  std::vector<Case> v;
  for (const char* m : {"LINK", "UNLINK", "SOURCE", "QUERY", "M-SEARCH", "PROPFIND", "MKCOL",
                        "REPORT", "SEARCH", "X_PRIVATE.v2", "BREW"})
    v.push_back({m, std::string(m) + " /res/1 HTTP/1.1\r\nHost: h\r\n\r\n", m, "/res/1", "h"});
  v.push_back({"absolute_form",
               "GET http://origin.example:8080/a/b HTTP/1.1\r\nHost: ignored\r\n\r\n", "GET",
               "http://origin.example:8080/a/b", "origin.example:8080"});
  v.push_back({"authority_form",
               "CONNECT db.example:5432 HTTP/1.1\r\nHost: db.example:5432\r\n\r\n", "CONNECT",
               "db.example:5432", "db.example:5432",
               "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n", 407});
  v.push_back({"asterisk_form", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", "OPTIONS", "*", "h"});
  v.push_back({"leading_empty_lines", "\r\n\r\nGET /after-crlf HTTP/1.1\r\nHost: h\r\n\r\n", "GET",
               "/after-crlf", "h"});
  v.push_back({"leading_bare_lf", "\nDELETE /x HTTP/1.1\r\nHost: h\r\n\r\n", "DELETE", "/x", "h"});
  v.push_back({"http_1_0", "GET /old HTTP/1.0\r\n\r\n", "GET", "/old", "",
               "HTTP/1.0 200 OK\r\n\r\nclose-delimited body"});
  v.push_back({"obs_fold",
               "POST /fold HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  b\r\n\tc\r\n"
               "Content-Length:\r\n 3\r\n\r\nabc",
               "POST", "/fold", "h"});
  v.push_back({"obs_fold_transfer_encoding",
               "POST /te HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n"
               "3\r\nabc\r\n0\r\n\r\n",
               "POST", "/te", "h"});
  v.push_back({"http_0_9_status_line", "GET /nine\r\n\r\n", "GET", "/nine", "",
               "HTTP/1.0 200 OK\r\n\r\nhello"});
  v.push_back({"http_0_9_bare_body", "GET /nine\r\n", "GET", "/nine", "", "<html>hello</html>", 0});
  return v;
}

// One connection as the agent sees it: detection first, then the parser
// gets the held segments and everything after.
struct Captured {
  explicit Captured(Role r) : role(r), detector(r, 40000, 40001, false) {}

  void send(Direction dir, std::string_view bytes, uint64_t ts) {
    Segment s{dir, ts, bytes, bytes.size()};
    if (parser) {
      parser->feed(s, records);
      return;
    }
    if (detector.feed(s) != StreamDetector::State::Detected) return;
    ASSERT_EQ(detector.protocol(), Protocol::Http1);
    parser = make_parser(role);
    for (const Segment& held : detector.held()) parser->feed(held, records);
  }
  void close(uint64_t ts) {
    if (!parser && detector.finish() == StreamDetector::State::Detected) {
      parser = make_parser(role);
      for (const Segment& held : detector.held()) parser->feed(held, records);
    }
    if (parser) parser->close(ts, records);
  }

  Role role;
  StreamDetector detector;
  std::unique_ptr<ProtocolParser> parser;
  std::vector<Record> records;
};

void expect_record(const std::vector<Record>& out, const Case& c, const std::string& where) {
  ASSERT_EQ(out.size(), 1u) << c.name << " " << where;
  EXPECT_EQ(out[0].method, c.method) << c.name << " " << where;
  EXPECT_EQ(out[0].path, c.path) << c.name << " " << where;
  EXPECT_EQ(out[0].host, c.host) << c.name << " " << where;
  EXPECT_EQ(out[0].status, c.status) << c.name << " " << where;
}

TEST(Http1Conformance, WholeRequest) {
  for (const Case& c : cases()) {
    Captured conn(Role::Server);
    conn.send(Direction::Ingress, c.request, 1);
    conn.send(Direction::Egress, c.response, 2);
    conn.close(3);
    expect_record(conn.records, c, "whole");
    EXPECT_EQ(conn.parser->stats().parse_errors, 0u) << c.name;
    EXPECT_EQ(conn.parser->stats().resyncs, 0u) << c.name;
  }
}

TEST(Http1Conformance, EverySplitPoint) {
  for (const Case& c : cases()) {
    for (size_t i = 1; i < c.request.size(); ++i) {
      Captured conn(Role::Server);
      conn.send(Direction::Ingress, std::string_view(c.request).substr(0, i), 1);
      conn.send(Direction::Ingress, std::string_view(c.request).substr(i), 2);
      conn.send(Direction::Egress, c.response, 3);
      conn.close(4);
      expect_record(conn.records, c, "split at " + std::to_string(i));
    }
  }
}

TEST(Http1Conformance, OneBytePerSegmentBothWays) {
  for (const Case& c : cases()) {
    for (Role role : {Role::Server, Role::Client}) {
      Captured conn(role);
      Direction req = request_direction(role);
      Direction resp = req == Direction::Ingress ? Direction::Egress : Direction::Ingress;
      uint64_t ts = 1;
      for (char ch : c.request) conn.send(req, std::string_view(&ch, 1), ts++);
      for (char ch : c.response) conn.send(resp, std::string_view(&ch, 1), ts++);
      conn.close(ts);
      expect_record(conn.records, c, role == Role::Server ? "server bytewise" : "client bytewise");
      Captured whole(role);
      whole.send(req, c.request, 1);
      whole.send(resp, c.response, 2);
      whole.close(3);
      if (conn.records.size() == 1 && whole.records.size() == 1) {
        EXPECT_EQ(conn.records[0].start_ns, 1u + c.request.find_first_not_of("\r\n")) << c.name;
        EXPECT_EQ(conn.records[0].req_bytes, whole.records[0].req_bytes) << c.name;
        EXPECT_EQ(conn.records[0].resp_bytes, whole.records[0].resp_bytes) << c.name;
      }
    }
  }
}

TEST(Http1Conformance, MixedPipelinedConnection) {
  // Every case whose response has its own framing, one after the other on
  // one connection, then all the responses: pairing stays in order.
  std::string requests, responses;
  std::vector<Case> expected;
  for (const Case& c : cases()) {
    if (c.status == 0 || c.method == "CONNECT" ||
        c.response.find("Content-Length") == std::string::npos)
      continue;
    requests += c.request;
    responses += c.response;
    expected.push_back(c);
  }
  for (size_t step : {requests.size(), size_t{1}, size_t{7}}) {
    Captured conn(Role::Server);
    for (size_t i = 0; i < requests.size(); i += step)
      conn.send(Direction::Ingress, std::string_view(requests).substr(i, step), 1);
    for (size_t i = 0; i < responses.size(); i += step)
      conn.send(Direction::Egress, std::string_view(responses).substr(i, step), 2);
    conn.close(3);
    ASSERT_EQ(conn.records.size(), expected.size()) << "step " << step;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(conn.records[i].method, expected[i].method) << "step " << step << " #" << i;
      EXPECT_EQ(conn.records[i].path, expected[i].path) << "step " << step << " #" << i;
    }
    EXPECT_EQ(conn.parser->stats().parse_errors, 0u);
  }
}

TEST(Http1Conformance, ResyncFindsTokenMethodsAtALineStart) {
  // Captured mid-stream: the tail of a body, then requests.
  Conn c;
  c.req("tail of a body\nLINK /after-resync HTTP/1.1\r\nHost: h\r\n\r\n", 1);
  c.resp(ok("x"), 2);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].method, "LINK");
  EXPECT_EQ(c.records[0].path, "/after-resync");
  EXPECT_EQ(c.stats().resyncs, 1u);
  // A token glued to body bytes could be the body's tail: not a start,
  // unless it ends in a known method.
  EXPECT_EQ(find_message_start("{\"a\":1}FOO /x HTTP/1.1\r\n", true), std::string_view::npos);
  EXPECT_EQ(find_message_start("{\"a\":1}GET /x HTTP/1.1\r\n", true), 7u);
  EXPECT_EQ(find_message_start("FOO /x HTTP/1.1\r\n", true), 0u);
}

TEST(Http1Conformance, TextOfOtherProtocolsIsNotATokenMethodRequest) {
  for (std::string_view s : {"EHLO mail.example\r\n", "SET k v\r\n", "hello world\n",
                             "FOO /x HTTP/2.0\r\n", "FOO /x\r\n"}) {
    EXPECT_EQ(detect(s, Direction::Ingress, Role::Server), Detection::NoMatch) << s;
  }
}

}  // namespace
}  // namespace loupe::http1::testing
