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

std::string cell(std::string_view text) { return text.empty() ? "—" : std::string(text); }

// The row docs/protocols/README.md must hold for `m`.
std::string index_row(const ProtocolModule& m) {
  std::string ports;
  for (uint16_t p : m.default_ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  std::string display(m.display_name);
  if (m.carried_by != Protocol::Unknown)
    display += " (found in " + std::string(find_protocol_module(m.carried_by)->display_name) + ")";
  return "| `" + std::string(to_string(m.protocol)) + "` | " + display + " | " + ports + " | " +
         cell(m.redaction.default_level) + " | " + cell(m.redaction.strict) + " | [" +
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

TEST(ProtocolRegistry, NamesForMessagesListEveryProtocolInDetectionOrder) {
  std::string expected;
  auto modules = protocol_modules();
  for (size_t i = 0; i < modules.size(); ++i)
    expected += std::string(i == 0                    ? ""
                            : i + 1 == modules.size() ? " or "
                                                      : ", ") +
                std::string(to_string(modules[i].protocol));
  EXPECT_EQ(protocol_names(), expected);
  EXPECT_NE(protocol_names().find(", "), std::string::npos);
}

TEST(ProtocolRegistry, StrictDetectionsAreAskedBeforeLooseOnes) {
  bool loose_seen = false;
  for (const auto& m : protocol_modules()) {
    EXPECT_FALSE(loose_seen && !m.loose_detection) << to_string(m.protocol) << " after a loose one";
    loose_seen = loose_seen || m.loose_detection;
  }
}

// Records in SQLite hold the protocol's id: ids of protocols that shipped
// stay what they were (a new protocol takes a new id, never a used one).
TEST(ProtocolRegistry, StoredIdsOfShippedProtocolsAreStable) {
  const std::pair<std::string_view, int> shipped[] = {
      {"http1", 1}, {"http2", 2}, {"postgres", 3},  {"mysql", 4}, {"redis", 5},
      {"dns", 6},   {"grpc", 7},  {"memcached", 8}, {"nats", 9},  {"amqp", 10}};
  for (const auto& [name, id] : shipped)
    EXPECT_EQ(static_cast<int>(protocol_from_string(name)), id) << name;
}

TEST(ProtocolRegistry, DocsIndexIsTheTable) {
  std::string index = read(kDocs / "protocols/README.md");
  ASSERT_FALSE(index.empty());
  std::string expected;
  for (const auto& m : protocol_modules()) {
    expected += index_row(m) + "\n";
    EXPECT_TRUE(std::filesystem::exists(kDocs / "protocols" / m.docs_page)) << m.docs_page;
  }
  std::string header = "|---|---|---|---|---|---|\n";
  auto at = index.find(header);
  ASSERT_NE(at, std::string::npos);
  auto end = index.find("\n\n", at);
  EXPECT_EQ(index.substr(at + header.size(), end - at - header.size() + 1), expected)
      << "docs/protocols/README.md's table should read:\n"
      << expected;
}

// The README's first paragraph is the one other place that lists protocols.
TEST(ProtocolRegistry, ReadmeNamesEveryProtocol) {
  std::string readme = read(kDocs / "../README.md");
  std::string intro = readme.substr(0, readme.find("\n\n", readme.find("\n\n") + 2));
  for (const auto& m : protocol_modules())
    EXPECT_NE(intro.find(m.display_name), std::string::npos)
        << "README.md's first paragraph does not name " << m.display_name;
}

TEST(ProtocolRegistry, RedactionSummaryListsWhatDeclarationsMask) {
  std::string strict = redaction_summary(Redaction::Strict);
  for (const auto& m : protocol_modules()) {
    if (m.redaction.strict.empty()) continue;
    EXPECT_NE(strict.find(std::string(m.redaction.strict)), std::string::npos) << strict;
    EXPECT_NE(strict.find(std::string(to_string(m.protocol))), std::string::npos) << strict;
    EXPECT_NE(m.redact, nullptr) << to_string(m.protocol) << " says it masks but has no rule";
  }
  EXPECT_EQ(redaction_summary(Redaction::Off), "");
}

}  // namespace
}  // namespace loupe
