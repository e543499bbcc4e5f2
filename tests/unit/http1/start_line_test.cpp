#include "protocols/http1/start_line.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace loupe::http1 {
namespace {

// Every known method of at most 7 bytes, told from a request's first 8 bytes.
TEST(Http1StartLine, ShortMethodPrefixTellsEveryShortKnownMethod) {
  for (std::string_view method :
       {"GET",   "POST",   "PUT",  "DELETE", "HEAD",   "OPTIONS", "PATCH",   "CONNECT", "TRACE",
        "QUERY", "MKCOL",  "COPY", "MOVE",   "LOCK",   "UNLOCK",  "REPORT",  "SEARCH",  "PURGE",
        "LINK",  "UNLINK", "ACL",  "BIND",   "UNBIND", "REBIND",  "CHECKIN", "MERGE",   "UPDATE"}) {
    const std::string line = std::string(method) + " /index HTTP/1.1\r\n";
    EXPECT_EQ(short_method_prefix(line), method.size()) << method;
    EXPECT_TRUE(is_known_method(method)) << method;
    EXPECT_EQ(request_start(line), Detection::Match) << method;
  }
}

TEST(Http1StartLine, ShortMethodPrefixNeedsTheWholeMethodAndItsSpace) {
  // Longer known methods are left to the token loop, which still knows them.
  for (std::string_view line : {"CHECKOUT /x HTTP/1.1\r\n", "PROPFIND /x HTTP/1.1\r\n",
                                "MKCALENDAR /x HTTP/1.1\r\n", "VERSION-CONTROL /x HTTP/1.1\r\n"}) {
    EXPECT_EQ(short_method_prefix(line), 0u) << line;
    EXPECT_EQ(request_start(line), Detection::Match) << line;
  }
  EXPECT_EQ(short_method_prefix("get / HTTP/1.1"), 0u);   // methods are case-sensitive
  EXPECT_EQ(short_method_prefix("GETS / HTTP/1.1"), 0u);  // a longer token
  EXPECT_EQ(short_method_prefix("POS / HTTP/1.1"), 0u);   // a shorter one
  EXPECT_EQ(short_method_prefix("GET\t/ HTTP/1.1"), 0u);  // a tab is not the space
  EXPECT_EQ(short_method_prefix("GET/ HTTP/1.1"), 0u);    // no space
  EXPECT_EQ(short_method_prefix("GET /ab"), 0u);          // fewer than 8 bytes
  EXPECT_EQ(short_method_prefix(std::string_view("GET\0/ab HTTP", 12)), 0u);
  // What it leaves undecided still goes by the rules for any token.
  EXPECT_EQ(request_start("GET /ab"), Detection::Match);
  EXPECT_EQ(request_start("GETS / HTTP/1.1\r\n"), Detection::Match);
  EXPECT_EQ(request_start("GETS / HTTP/1.1 "), Detection::NoMatch);
}

}  // namespace
}  // namespace loupe::http1
