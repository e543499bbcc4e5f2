#include "store/clickhouse/url.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "store/clickhouse/error.h"

namespace loupe::store::clickhouse::testing {
namespace {

// The message of the BadUrl error parse_url throws for `text`.
std::string url_error(std::string_view text) {
  try {
    parse_url(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::BadUrl);
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return "";
}

TEST(ClickHouseUrl, HostPortDatabaseAndParameters) {
  Url u = parse_url(
      "clickhouse://db1.example:9123/loupe?user=writer&password_file=/run/pw&cluster=main");
  EXPECT_EQ(u.host, "db1.example");
  EXPECT_EQ(u.port, 9123);
  EXPECT_EQ(u.database, "loupe");
  EXPECT_EQ(u.user, "writer");
  EXPECT_EQ(u.password_file, "/run/pw");
  EXPECT_EQ(u.cluster, "main");
  EXPECT_EQ(u.endpoint(), "db1.example:9123");
  EXPECT_EQ(u.to_string(),
            "clickhouse://db1.example:9123/loupe?user=writer&password_file=/run/pw&cluster=main");
}

TEST(ClickHouseUrl, DefaultsToPort8123AndUserDefault) {
  Url u = parse_url("clickhouse://127.0.0.1/observability");
  EXPECT_EQ(u.port, 8123);
  EXPECT_EQ(u.user, "default");
  EXPECT_TRUE(u.password_file.empty());
  EXPECT_TRUE(u.cluster.empty());
  EXPECT_EQ(u.to_string(), "clickhouse://127.0.0.1:8123/observability");
}

TEST(ClickHouseUrl, Ipv6HostInBrackets) {
  Url u = parse_url("clickhouse://[::1]:8124/db");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8124);
  EXPECT_EQ(u.endpoint(), "[::1]:8124");
  EXPECT_EQ(parse_url("clickhouse://[fe80::1]/db").port, 8123);
}

TEST(ClickHouseUrl, PercentEscapesInValues) {
  Url u = parse_url("clickhouse://h/db?password_file=/etc/loupe/click%20house.pw&user=a%2Bb");
  EXPECT_EQ(u.password_file, "/etc/loupe/click house.pw");
  EXPECT_EQ(u.user, "a+b");
}

TEST(ClickHouseUrl, ErrorsNameWhatIsWrong) {
  EXPECT_NE(url_error("http://h:8123/db").find("scheme 'http'"), std::string::npos);
  EXPECT_NE(url_error("h:8123/db").find("no scheme"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h:8123").find("no database"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h:8123/").find("no database"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h?user=x").find("no database"), std::string::npos);
  EXPECT_NE(url_error("clickhouse:///db").find("no host"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h:0/db").find("port '0'"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h:99999/db").find("port '99999'"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h:12ab/db").find("port '12ab'"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h:/db").find("empty port"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://[::1/db").find("closing ']'"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h/my-db").find("database 'my-db'"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h/db;DROP").find("database 'db;DROP'"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h/db?cluster=a.b").find("cluster 'a.b'"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h/db?timeout=3").find("unknown parameter 'timeout'"),
            std::string::npos);
  EXPECT_NE(url_error("clickhouse://h/db?user=a&user=b").find("'user' given twice"),
            std::string::npos);
  EXPECT_NE(url_error("clickhouse://h/db?user").find("'user' has no value"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h/db?user=").find("empty user"), std::string::npos);
  EXPECT_NE(url_error("clickhouse://h/db?password_file=%zz").find("broken %-escape"),
            std::string::npos);
  EXPECT_NE(url_error("clickhouse://u:p@h/db").find("credentials"), std::string::npos);
  // The error repeats the expected shape, so a user sees how to fix it.
  EXPECT_NE(url_error("clickhouse://h/db?password=x").find("password_file=PATH"),
            std::string::npos);
  EXPECT_NE(url_error("clickhouse://h").find("clickhouse://HOST[:PORT]/DB"), std::string::npos);
}

TEST(ClickHouseUrl, PlainIdentifiers) {
  EXPECT_TRUE(is_plain_identifier("loupe_2"));
  EXPECT_TRUE(is_plain_identifier("_x"));
  EXPECT_FALSE(is_plain_identifier(""));
  EXPECT_FALSE(is_plain_identifier("2x"));
  EXPECT_FALSE(is_plain_identifier("a`b"));
  EXPECT_FALSE(is_plain_identifier(std::string(65, 'a')));
}

TEST(ClickHouseUrl, PasswordFileIsReadWithoutItsNewline) {
  char path[] = "/tmp/loupe-ch-pw.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "s3 cret\n";
  Url u = parse_url(std::string("clickhouse://h/db?password_file=") + path);
  EXPECT_EQ(read_password(u), "s3 cret");
  std::remove(path);
  try {
    read_password(u);
    ADD_FAILURE() << "read a removed file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::BadUrl);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  EXPECT_EQ(read_password(parse_url("clickhouse://h/db")), "");
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
