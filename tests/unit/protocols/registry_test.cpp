#include "protocols/registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace loupe {
namespace {

const std::filesystem::path kDocs = std::filesystem::path(LOUPE_TEST_DATA) / "../../docs";

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The row docs/protocols/README.md must hold for `m`.
std::string index_row(const ProtocolModule& m) {
  std::string ports;
  for (uint16_t p : m.default_ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  std::string display(m.display_name);
  if (m.carried_by != Protocol::Unknown)
    display += " (found in " + std::string(find_protocol_module(m.carried_by)->display_name) + ")";
  return "| `" + std::string(to_string(m.protocol)) + "` | " + display + " | " + ports + " | [" +
         std::string(m.docs_page) + "](" + std::string(m.docs_page) + ") |";
}

TEST(ProtocolRegistry, EveryRecordProtocolIsDeclaredOnceWithAName) {
  std::set<Protocol> seen;
  for (const auto& m : protocol_modules()) {
    EXPECT_TRUE(seen.insert(m.protocol).second) << to_string(m.protocol);
    EXPECT_EQ(protocol_from_string(to_string(m.protocol)), m.protocol);
    EXPECT_NE(m.protocol, Protocol::Unknown);
    EXPECT_FALSE(m.display_name.empty());
    EXPECT_FALSE(m.fields.method.empty()) << to_string(m.protocol);
    // Either it is detected and parsed itself, or another parser emits it.
    bool own = m.detect && m.make_parser;
    bool carried = m.carried_by != Protocol::Unknown && !m.detect && !m.make_parser;
    EXPECT_TRUE(own != carried) << to_string(m.protocol);
    if (carried) {
      ASSERT_NE(find_protocol_module(m.carried_by), nullptr);
      EXPECT_NE(find_protocol_module(m.carried_by)->make_parser, nullptr);
    }
  }
  // Every name core knows is a declared protocol (a new enum value without
  // a registry entry fails here).
  for (int i = 1; i < 256; ++i) {
    auto p = static_cast<Protocol>(i);
    if (to_string(p) != "unknown") {
      EXPECT_TRUE(seen.count(p)) << to_string(p);
    }
  }
}

TEST(ProtocolRegistry, MakeParserFollowsTheTable) {
  for (const auto& m : protocol_modules())
    EXPECT_EQ(make_parser(m.protocol, Role::Server) != nullptr, m.make_parser != nullptr)
        << to_string(m.protocol);
  EXPECT_EQ(make_parser(Protocol::Unknown, Role::Server), nullptr);
}

TEST(ProtocolRegistry, NamesForMessagesListEveryProtocol) {
  EXPECT_EQ(protocol_names(),
            "http1, http2, grpc, postgres, mysql, memcached, nats, amqp, redis or dns");
}

TEST(ProtocolRegistry, DocsIndexIsTheTable) {
  std::string index = read(kDocs / "protocols/README.md");
  ASSERT_FALSE(index.empty());
  std::string expected;
  for (const auto& m : protocol_modules()) {
    expected += index_row(m) + "\n";
    EXPECT_TRUE(std::filesystem::exists(kDocs / "protocols" / m.docs_page)) << m.docs_page;
  }
  std::string header = "|---|---|---|---|\n";
  auto at = index.find(header);
  ASSERT_NE(at, std::string::npos);
  auto end = index.find("\n\n", at);
  EXPECT_EQ(index.substr(at + header.size(), end - at - header.size() + 1), expected)
      << "docs/protocols/README.md's table should read:\n"
      << expected;
}

}  // namespace
}  // namespace loupe
