#include "agent/process_info.h"

#include <gtest/gtest.h>

#include "agent/address.h"

namespace loupe {
namespace {

TEST(ProcessInfo, ParsesListeningPortsOnly) {
  // Recorded from /proc/net/tcp: a listener on 8080, an established
  // connection from 8080, and a listener on 5432.
  const std::string text =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 123 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        "
      "0 124 1 0000000000000000 20 4 30 10 -1\n"
      "   2: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        "
      "0 125 1 0000000000000000 100 0 0 10 0\n";
  std::unordered_set<uint16_t> ports;
  ProcessInfo::parse_listening(text, ports);
  EXPECT_EQ(ports, (std::unordered_set<uint16_t>{8080, 5432}));
}

TEST(ProcessInfo, IgnoresGarbage) {
  std::unordered_set<uint16_t> ports;
  ProcessInfo::parse_listening("header\nnot a line\n 0: zz:zz 00 0A\n", ports);
  EXPECT_TRUE(ports.empty());
}

TEST(Address, FormatsV4V6AndMapped) {
  loupe_addr a{};
  a.family = 2;
  a.port = 80;
  a.addr[0] = 10;
  a.addr[3] = 1;
  EXPECT_EQ(format_address(a), "10.0.0.1:80");
  loupe_addr b{};
  b.family = 10;
  b.port = 443;
  b.addr[15] = 1;
  EXPECT_EQ(format_address(b), "[::1]:443");
  loupe_addr m{};
  m.family = 10;
  m.port = 8080;
  m.addr[10] = m.addr[11] = 0xff;
  m.addr[12] = 127;
  m.addr[15] = 1;
  EXPECT_EQ(format_address(m), "127.0.0.1:8080");
  EXPECT_EQ(format_address(loupe_addr{}), "");
}

}  // namespace
}  // namespace loupe
