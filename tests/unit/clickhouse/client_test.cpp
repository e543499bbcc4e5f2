// The client's failures that need no ClickHouse: a server that accepts the
// connection but never answers, and what the schema refuses before it sends
// anything. (Everything else runs against a real server in
// tests/e2e/test_clickhouse_store.sh.)
#include "store/clickhouse/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "store/clickhouse/error.h"

namespace loupe::store::clickhouse::testing {
namespace {

// A loopback port whose listener never accepts: connections complete in the
// kernel's backlog, requests are never read.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      ADD_FAILURE() << "cannot listen on loopback";
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ClickHouseClient, AServerThatNeverAnswersTimesOut) {
  SilentListener silent;
  ClientOptions options;
  options.timeout = std::chrono::milliseconds(300);
  Client client(parse_url("clickhouse://127.0.0.1:" + std::to_string(silent.port()) + "/db"),
                options);
  auto start = std::chrono::steady_clock::now();
  try {
    client.execute("SELECT 1");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::Unreachable);
    EXPECT_NE(std::string(e.what()).find("did not answer within 0.3 s"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ClickHouseClient, LiteralsEscapeQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(quote_literal("plain"), "'plain'");
  EXPECT_EQ(quote_literal("it's \\"), "'it\\'s \\\\'");
  EXPECT_EQ(quote_literal(std::string("a\nb\0c\x7f", 6)), "'a\\x0ab\\x00c\\x7f'");
  EXPECT_EQ(quote_literal("\xc3\xa9"), "'\xc3\xa9'");  // UTF-8 as is
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
