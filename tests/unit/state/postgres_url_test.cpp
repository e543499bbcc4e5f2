// The --state URL: libpq parses it, Loupe refuses passwords in it and
// requires a database; every mistake is one line with the expected shape.
#include <gtest/gtest.h>

#include "store/postgres/error.h"
#include "store/postgres/url.h"

namespace loupe::store::postgres {
namespace {

std::string error_of(const std::string& url) {
  try {
    parse_url(url);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::BadUrl);
    return e.what();
  }
  return "";
}

TEST(PostgresUrl, ParsesHostPortDatabaseUserAndPasswordFile) {
  Url u = parse_url(
      "postgres://db1:6432/loupe?user=app&password_file=/etc/loupe/pg%20pw&sslmode=require");
  EXPECT_EQ(u.host, "db1");
  EXPECT_EQ(u.port, "6432");
  EXPECT_EQ(u.database, "loupe");
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password_file, "/etc/loupe/pg pw");
  ASSERT_EQ(u.options.size(), 1u);
  EXPECT_EQ(u.options[0], (std::pair<std::string, std::string>{"sslmode", "require"}));
  EXPECT_EQ(u.endpoint(), "db1:6432");
  EXPECT_EQ(u.to_string(),
            "postgres://db1:6432/loupe?user=app&password_file=/etc/loupe/pg pw&sslmode=require");
}

TEST(PostgresUrl, DefaultsAndIpv6) {
  Url u = parse_url("postgresql://[::1]/state");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "5432");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.to_string(), "postgres://[::1]:5432/state");
}

TEST(PostgresUrl, MistakesAreOneLineNamingThePart) {
  EXPECT_EQ(
      error_of("postgres://db1/loupe?password=hunter2"),
      "bad PostgreSQL URL: a password in the URL; put it in a file and pass "
      "password_file=PATH (expected postgres://HOST[:PORT]/DB[?user=&password_file=&sslmode=])");
  EXPECT_NE(error_of("postgres://app:hunter2@db1/loupe").find("credentials in the host part"),
            std::string::npos);
  EXPECT_NE(error_of("mysql://db1/loupe").find("scheme 'mysql' (only postgres:// is known)"),
            std::string::npos);
  EXPECT_NE(error_of("db1/loupe").find("no scheme"), std::string::npos);
  EXPECT_NE(error_of("postgres://db1").find("no database: add /DB"), std::string::npos);
  EXPECT_NE(error_of("postgres:///loupe").find("no host"), std::string::npos);
  EXPECT_NE(error_of("postgres://db1/loupe?password_file=").find("an empty password_file"),
            std::string::npos);
  EXPECT_NE(error_of("postgres://db1/loupe?password_file=a&password_file=b").find("given twice"),
            std::string::npos);
  EXPECT_NE(error_of("postgres://db1/loupe?password_file=%zz").find("broken %-escape"),
            std::string::npos);
  // libpq's own word for what it does not know.
  std::string unknown = error_of("postgres://db1/loupe?colour=blue");
  EXPECT_NE(unknown.find("colour"), std::string::npos) << unknown;
  std::string port = error_of("postgres://db1:99999x/loupe");
  EXPECT_NE(port.find("bad PostgreSQL URL"), std::string::npos) << port;
}

}  // namespace
}  // namespace loupe::store::postgres
