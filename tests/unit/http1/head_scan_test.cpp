// scan_head (one pass) against find_head_end then parse_head (two), on
// every prefix of heads that exercise each rule: the two must agree on
// where a head ends, whether it is valid, and what it says.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocols/http1/head.h"

namespace loupe::http1 {
namespace {

struct Sample {
  const char* name;
  std::string bytes;
  bool request;
};

std::vector<Sample> samples() {
  return {
      {"request", "GET /a?b=1 HTTP/1.1\r\nHost: x:80\r\ntraceparent: 00-ab\r\n\r\nbody", true},
      {"response with length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false},
      {"bare LFs", "HTTP/1.0 404 Not Found\nContent-Length: 0\n\n", false},
      {"folded field", "POST / HTTP/1.1\r\nUpgrade: websocket,\r\n  h2c\r\nHost: h\r\n\r\n", true},
      {"chunked over length",
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false},
      {"HTTP/0.9 request", "GET /old\r\nmore", true},
      {"bad start line", "GET/ HTTP/1.1\r\nHost: x\r\n\r\n", true},
      {"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       false},
      {"request with other coding", "PUT / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", true},
      {"empty first line", "\r\nGET / HTTP/1.1\r\n\r\n", true},
      {"lone CR line", "HTTP/1.1 204 No Content\r\n\rX: y\r\n\r\n", false},
      {"field without colon", "HTTP/1.1 200 OK\r\nnonsense\r\nContent-Length: 2\r\n\r\nok", false},
  };
}

void expect_same_head(const Head& a, const Head& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.simple, b.simple);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.traceparent, b.traceparent);
  EXPECT_EQ(a.upgrade, b.upgrade);
  EXPECT_EQ(a.upgrade_h2c, b.upgrade_h2c);
  EXPECT_EQ(a.chunked, b.chunked);
  EXPECT_EQ(a.other_encoding, b.other_encoding);
  EXPECT_EQ(a.has_length, b.has_length);
  EXPECT_EQ(a.content_length, b.content_length);
}

TEST(Http1HeadScan, AgreesWithFindingThenParsingOnEveryPrefix) {
  for (const Sample& sample : samples()) {
    SCOPED_TRACE(sample.name);
    for (size_t n = 0; n <= sample.bytes.size(); ++n) {
      SCOPED_TRACE(n);
      std::string_view s = std::string_view(sample.bytes).substr(0, n);
      size_t scan = 0;
      size_t end = find_head_end(s, scan, sample.request);
      Head one_pass;
      HeadScan found = scan_head(s, sample.request, one_pass);
      ASSERT_EQ(found.end, end);
      if (end == std::string_view::npos) continue;
      Head two_passes;
      EXPECT_EQ(found.valid, parse_head(s.substr(0, end), sample.request, two_passes));
      if (found.valid) expect_same_head(one_pass, two_passes);
    }
  }
}

TEST(Http1HeadScan, FindsTheHeadsEndAndWhatItSays) {
  Head head;
  std::string bytes = "GET /a HTTP/1.1\r\nHost: example\r\nContent-Length: 4\r\n\r\nbody";
  HeadScan found = scan_head(bytes, true, head);
  EXPECT_EQ(found.end, bytes.size() - 4);
  EXPECT_TRUE(found.valid);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/a");
  EXPECT_EQ(head.host, "example");
  EXPECT_EQ(head.content_length, 4u);
  // Not whole yet: the empty line has not come.
  EXPECT_EQ(scan_head("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n", false, head).end,
            std::string_view::npos);
  EXPECT_EQ(scan_head("HTTP/1.1 200 OK\r\n\r", false, head).end, std::string_view::npos);
  // Malformed, but whole: where it ends is still known.
  HeadScan bad = scan_head("HTTP/1.1 2x0 OK\r\nA: b\r\n\r\nrest", false, head);
  EXPECT_EQ(bad.end, 25u);
  EXPECT_FALSE(bad.valid);
}

// A kept field is told by its whole name in any case, with blanks allowed
// before the colon; any other name, a longer or shorter one, or a line
// without a colon is passed over. Each line alone in a request's head.
TEST(Http1HeadScan, TellsKeptFieldsByTheirWholeName) {
  struct Case {
    std::string line;
    std::string_view host;
    bool has_length;
    uint64_t content_length;
    bool upgrade;
    bool chunked;
    std::string_view traceparent;
  };
  const Case cases[] = {
      {"Host: a", "a", false, 0, false, false, ""},
      {"HOST:a", "a", false, 0, false, false, ""},
      {"hOsT \t: a ", "a", false, 0, false, false, ""},
      {"Host:", "", false, 0, false, false, ""},
      {"Hosts: a", "", false, 0, false, false, ""},
      {"Host x: a", "", false, 0, false, false, ""},
      {"Host", "", false, 0, false, false, ""},
      {"Host ", "", false, 0, false, false, ""},
      {"Ho-t: a", "", false, 0, false, false, ""},
      {"X-Host: a", "", false, 0, false, false, ""},
      {": a", "", false, 0, false, false, ""},
      {"Content-Length: 5", "", true, 5, false, false, ""},
      {"cONTENT-lENGTH :7", "", true, 7, false, false, ""},
      {"Content-Length-X: 5", "", false, 0, false, false, ""},
      {"Content-Lengths: 5", "", false, 0, false, false, ""},
      {"Content_Length: 5", "", false, 0, false, false, ""},
      {"Content\rLength: 5", "", false, 0, false, false, ""},
      {"Content-Type: 5", "", false, 0, false, false, ""},
      {"Content-Length", "", false, 0, false, false, ""},
      {"Upgrade: h2c", "", false, 0, true, false, ""},
      {"UPGRADE:h2c", "", false, 0, true, false, ""},
      {"Upgrades: h2c", "", false, 0, false, false, ""},
      {"Transfer-Encoding: chunked", "", false, 0, false, true, ""},
      {"transfer-encoding\t:chunked", "", false, 0, false, true, ""},
      {"Transfer-Encodings: chunked", "", false, 0, false, false, ""},
      {"Traceparent: 00-ab", "", false, 0, false, false, "00-ab"},
      {"TRACEPARENT:x", "", false, 0, false, false, "x"},
      {"Traceparents: 00-ab", "", false, 0, false, false, ""},
      {"Trace: 00-ab", "", false, 0, false, false, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    const std::string bytes = "POST / HTTP/1.1\r\n" + c.line + "\r\n\r\n";
    for (bool one_pass : {true, false}) {
      Head head;
      const bool valid =
          one_pass ? scan_head(bytes, true, head).valid
                   : parse_head(std::string_view(bytes).substr(0, bytes.size() - 2), true, head);
      ASSERT_TRUE(valid);
      EXPECT_EQ(head.host, c.host);
      EXPECT_EQ(head.has_length, c.has_length);
      EXPECT_EQ(head.content_length, c.content_length);
      EXPECT_EQ(head.upgrade, c.upgrade);
      EXPECT_EQ(head.chunked, c.chunked);
      EXPECT_EQ(head.traceparent, c.traceparent);
    }
  }
}

}  // namespace
}  // namespace loupe::http1
