// ProtocolParser::rest for HTTP/1: the agent takes a parser at rest from its
// connection and gives the connection's next bytes a new one, or another
// connection's restarted at rest, so either must go on exactly as the old
// one would have, on every shape of traffic. Likewise for a parser
// suspended (ProtocolParser::suspend) with requests waiting, resumed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http1_test_util.h"
#include "protocols/http1/parser.h"

using namespace loupe::http1::testing;
using loupe::Direction;
using loupe::ParserStats;
using loupe::ProtocolParser;
using loupe::Record;
using loupe::Role;
using loupe::Segment;

namespace {

struct Step {
  bool request;  // in the request direction of the role
  std::string bytes;
  uint64_t length = 0;  // 0: all captured
};

struct Outcome {
  std::vector<Record> records;
  ParserStats stats;
  int replaced = 0;   // parsers taken at rest or suspended
  int suspended = 0;  // of them, suspended with requests waiting
};

enum class AtRest { Kept, New, Restarted };

// Feeds `steps` then closes: one parser kept throughout, or taken at rest
// (its counters kept) for a new parser, or for itself restarted by rest();
// with `suspend`, also taken when suspend() hands its waiting requests
// over, and these given back to the next one (resume()), at the close too.
Outcome run(Role role, const std::vector<Step>& steps, AtRest mode, bool suspend = false) {
  Outcome o;
  std::unique_ptr<ProtocolParser> p = loupe::http1::make_parser(role);
  std::unique_ptr<ProtocolParser> spare;
  std::unique_ptr<loupe::SuspendedExchanges> waiting;
  const Direction req = loupe::request_direction(role);
  const Direction resp = req == Direction::Egress ? Direction::Ingress : Direction::Egress;
  auto take = [&] {
    p = mode == AtRest::New ? loupe::http1::make_parser(role) : std::move(spare);
    if (waiting) p->resume(std::move(waiting));
    ++o.replaced;
  };
  uint64_t ts = 0;
  for (const Step& s : steps) {
    if (!p) take();
    const uint64_t length = s.length ? s.length : s.bytes.size();
    p->feed(Segment{s.request ? req : resp, ++ts, s.bytes, length}, o.records);
    if (mode == AtRest::Kept) continue;
    if (p->rest(o.stats) || (suspend && (waiting = p->suspend(o.stats)))) {
      EXPECT_EQ(p->stats().records, 0u);
      o.suspended += waiting != nullptr;
      spare = std::move(p);
    }
  }
  if (waiting) take();
  if (p) {
    p->close(++ts, o.records);
    o.stats += p->stats();
  }
  return o;
}

void expect_same(const Outcome& a, const Outcome& b) {
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    const Record& x = a.records[i];
    const Record& y = b.records[i];
    EXPECT_EQ(x.start_ns, y.start_ns) << i;
    EXPECT_EQ(x.end_ns, y.end_ns) << i;
    EXPECT_EQ(x.method, y.method) << i;
    EXPECT_EQ(x.path, y.path) << i;
    EXPECT_EQ(x.host, y.host) << i;
    EXPECT_EQ(x.status, y.status) << i;
    EXPECT_EQ(x.req_bytes, y.req_bytes) << i;
    EXPECT_EQ(x.resp_bytes, y.resp_bytes) << i;
    EXPECT_EQ(x.error, y.error) << i;
    EXPECT_EQ(x.trace_id, y.trace_id) << i;
  }
  EXPECT_EQ(a.stats.records, b.stats.records);
  EXPECT_EQ(a.stats.parse_errors, b.stats.parse_errors);
  EXPECT_EQ(a.stats.resyncs, b.stats.resyncs);
  EXPECT_EQ(a.stats.unmatched, b.stats.unmatched);
}

std::vector<std::vector<Step>> scripts() {
  const std::string req = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  const std::string post = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n";
  return {
      // keep-alive, one exchange per syscall
      {{true, req}, {false, resp}, {true, req}, {false, resp}, {true, req}, {false, resp}},
      // pipelined, answered in one write and in two
      {{true, req + req + req}, {false, resp + resp}, {false, resp}, {true, req}, {false, resp}},
      // heads and bodies split across syscalls
      {{true, req.substr(0, 2)},
       {true, req.substr(2, 3)},
       {true, req.substr(5)},
       {false, resp.substr(0, 2)},
       {false, resp.substr(2, 18)},
       {false, resp.substr(20)},
       {true, req},
       {false, chunked.substr(0, 50)},
       {false, chunked.substr(50)}},
      // a body, answered before it ended; 100-continue
      {{true, post},
       {false, resp},
       {true, "body"},
       {true, req},
       {false, resp},
       {true, "PUT /u HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"},
       {false, "HTTP/1.1 100 Continue\r\n\r\n"},
       {true, "hi"},
       {false, resp}},
      // an uncaptured body tail, then garbage and a resync
      {{true, req},
       {false, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nxx", 140},
       {true, req},
       {false, resp},
       {true, "\x01\x02garbage"},
       {true, req},
       {false, resp}},
      // a response without a request, HEAD, a declined upgrade
      {{false, resp},
       {true, "HEAD /h HTTP/1.1\r\n\r\n"},
       {false, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"},
       {true, "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
       {false, resp},
       {true, req},
       {false, resp}},
      // close-delimited body, HTTP/0.9, an unanswered request at close
      {{true, req},
       {false, resp},
       {true, "GET /old HTTP/1.0\r\n\r\n"},
       {false, "HTTP/1.0 200 OK\r\n\r\n<a>"}},
      {{true, req}, {false, resp}, {true, "GET /\r\n"}, {false, "<html>"}},
      {{true, req}, {false, resp}, {true, req}},
      // a tunnel
      {{true, req},
       {false, resp},
       {true, "CONNECT e:443 HTTP/1.1\r\n\r\n"},
       {false, "HTTP/1.1 200 OK\r\n\r\n"},
       {true, "\x16\x03\x01"}},
  };
}

TEST(Http1AtRest, ANewParserGoesOnAsTheOneAtRestWould) {
  int replaced = 0;
  for (Role role : {Role::Server, Role::Client}) {
    for (const auto& steps : scripts()) {
      Outcome one = run(role, steps, AtRest::Kept);
      Outcome renewed = run(role, steps, AtRest::New);
      Outcome restarted = run(role, steps, AtRest::Restarted);
      expect_same(one, renewed);
      expect_same(one, restarted);
      replaced += renewed.replaced;
    }
  }
  EXPECT_GT(replaced, 20);  // the scripts do reach rest between exchanges
}

TEST(Http1Suspend, ANewParserGoesOnAsTheSuspendedOneWould) {
  // Besides the scripts above (pipelining, HEAD, HTTP/0.9, unanswered at
  // close): requests waiting with their trace and an absolute-form host,
  // answered one by one while more come.
  std::vector<std::vector<Step>> all = scripts();
  const std::string traced =
      "GET http://api.example.com/v1/users/42 HTTP/1.1\r\nHost: h\r\n"
      "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n";
  const std::string resp = "HTTP/1.1 503 Busy\r\nContent-Length: 2\r\n\r\nno";
  all.push_back({{true, traced + traced},
                 {false, resp},
                 {true, "HEAD /h HTTP/1.1\r\n\r\n"},
                 {false, resp},
                 {false, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"},
                 {true, traced}});
  int suspended = 0;
  for (Role role : {Role::Server, Role::Client}) {
    for (const auto& steps : all) {
      Outcome one = run(role, steps, AtRest::Kept);
      Outcome renewed = run(role, steps, AtRest::New, true);
      Outcome restarted = run(role, steps, AtRest::Restarted, true);
      expect_same(one, renewed);
      expect_same(one, restarted);
      suspended += renewed.suspended;
    }
  }
  EXPECT_GT(suspended, 20);  // the scripts do wait between messages with requests pending
}

TEST(Http1Suspend, OnlyBetweenMessagesWithRequestsWaiting) {
  Conn c;
  ParserStats totals;
  EXPECT_EQ(c.parser->suspend(totals), nullptr);  // none waiting: rest()
  c.req("GET /a HTTP/1.1\r\nHo", 1);
  EXPECT_EQ(c.parser->suspend(totals), nullptr);  // a head being reassembled
  c.req("st: h\r\n\r\nPOST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\nbo", 2);
  EXPECT_EQ(c.parser->suspend(totals), nullptr);  // a request body in progress
  c.req("dy", 3);
  c.resp("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok", 4);
  EXPECT_EQ(c.parser->suspend(totals), nullptr);  // a response body in progress
  c.resp("ok", 5);
  ASSERT_EQ(c.records.size(), 1u);
  const auto& p = static_cast<const loupe::http1::Parser&>(*c.parser);
  std::unique_ptr<loupe::SuspendedExchanges> waiting = c.parser->suspend(totals);
  ASSERT_NE(waiting, nullptr);  // POST /p waits
  EXPECT_TRUE(p.at_rest());
  EXPECT_EQ(totals.records, 1u);
  c.parser->resume(std::move(waiting));
  EXPECT_FALSE(p.at_rest());
  c.resp("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 6);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].path, "/p");
  EXPECT_EQ(c.records[1].status, 201);
  c.req("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 7);
  EXPECT_EQ(c.parser->suspend(totals), nullptr);  // held until the answer says what follows
}

TEST(Http1AtRest, OnlyBetweenExchangesWithNothingHeld) {
  Conn c;
  const auto& p = static_cast<const loupe::http1::Parser&>(*c.parser);
  EXPECT_TRUE(p.at_rest());
  c.req("GET /a HTTP/1.1\r\nHo", 1);
  EXPECT_FALSE(p.at_rest());  // a head being reassembled
  c.req("st: h\r\n\r\n", 2);
  EXPECT_FALSE(p.at_rest());  // a request waiting for its response
  c.resp("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok", 3);
  EXPECT_FALSE(p.at_rest());  // a body in progress
  c.resp("ok", 4);
  EXPECT_TRUE(p.at_rest());
  ASSERT_EQ(c.records.size(), 1u);
  c.req("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 5);
  c.resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 6);
  EXPECT_TRUE(c.parser->finished());
  EXPECT_FALSE(p.at_rest());  // a new parser would parse what follows
}

}  // namespace
