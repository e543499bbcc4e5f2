#include <gtest/gtest.h>

#include "mysql_wire.h"
#include "protocols/detect.h"

using namespace loupe::mysql::testing;
using loupe::Detection;
using loupe::Direction;
using loupe::Role;

TEST(MysqlDetect, GreetingInResponseDirection) {
  EXPECT_EQ(detect(greeting(kCaps), Direction::Ingress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(greeting(kCaps, "5.5.5-10.11.6-MariaDB"), Direction::Egress, Role::Server),
            Detection::Match);
  EXPECT_EQ(detect(greeting(kCaps), Direction::Egress, Role::Client), Detection::NoMatch);
  EXPECT_EQ(detect(greeting(kCaps).substr(0, 4), Direction::Ingress, Role::Client),
            Detection::NeedMore);
}

TEST(MysqlDetect, CommandsInRequestDirection) {
  EXPECT_EQ(detect(query("SELECT 1"), Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(command(kComStmtPrepare, "SELECT ?"), Direction::Ingress, Role::Server),
            Detection::Match);
  EXPECT_EQ(detect(execute(1), Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(command(kComPing, ""), Direction::Egress, Role::Client), Detection::Match);
  EXPECT_EQ(detect(query("SELECT 1"), Direction::Ingress, Role::Unknown), Detection::Match);
  EXPECT_EQ(detect(query("SELECT 1").substr(0, 3), Direction::Egress, Role::Client),
            Detection::NeedMore);
}

TEST(MysqlDetect, RejectsOtherProtocols) {
  for (std::string s : {std::string("GET / HTTP/1.1\r\n\r\n"), std::string("*1\r\n$4\r\nPING\r\n"),
                        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03", 10)}) {
    EXPECT_EQ(detect(s, Direction::Egress, Role::Client), Detection::NoMatch) << s;
    EXPECT_EQ(detect(s, Direction::Ingress, Role::Client), Detection::NoMatch) << s;
  }
  EXPECT_EQ(detect(packet(1, "\x03SELECT 1"), Direction::Egress, Role::Client), Detection::NoMatch);
  EXPECT_EQ(
      detect(command(kComQuery, std::string("\x01\x02\x03", 3)), Direction::Egress, Role::Client),
      Detection::NoMatch);
}

TEST(MysqlDetect, RegisteredWithTheDetector) {
  EXPECT_EQ(loupe::detect_protocol(greeting(kCaps), Direction::Ingress, Role::Client, 40000, 3306)
                .protocol,
            loupe::Protocol::Mysql);
  EXPECT_EQ(loupe::detect_protocol(query("SELECT 1"), Direction::Egress, Role::Client, 40000, 3306)
                .protocol,
            loupe::Protocol::Mysql);
  EXPECT_NE(loupe::make_parser(loupe::Protocol::Mysql, Role::Server), nullptr);
}
