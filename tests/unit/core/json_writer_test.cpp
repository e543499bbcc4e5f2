#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/utf8.h"

namespace loupe {
namespace {

// The escaping rules a byte at a time, as the writer had them before it
// read words: the reference the faster one must match.
std::string escaped_bytewise(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = utf8::sequence_length(s, i);
      out += n == 0 ? std::string("\\ufffd") : std::string(s.substr(i, n));
      i += n == 0 ? 1 : n;
      continue;
    }
    char buf[8];
    if (c == '"' || c == '\\')
      out += {'\\', static_cast<char>(c)};
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f)
      out += std::string(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "\\u%04x", c)));
    else
      out += static_cast<char>(c);
    ++i;
  }
  return out + "\"";
}

TEST(JsonWriter, EveryByteEscapedAsBeforeWhereverItFallsInAWord) {
  // Each byte value alone, then inside runs of plain text at every offset
  // of an 8-byte word.
  for (int c = 0; c < 256; ++c) {
    for (size_t at = 0; at < 17; ++at) {
      std::string s(20, 'a');
      s[at] = static_cast<char>(c);
      std::string out;
      append_json_string(out, s);
      ASSERT_EQ(out, escaped_bytewise(s)) << "byte " << c << " at " << at;
    }
  }
  // Random mixes of plain text, specials and UTF-8, valid or cut.
  const std::string pieces[] = {"abcdefgh", "/",    "\"",   "\\", "\n",
                                "\x01",     "\x7f", "é",    "€",  "\xf0\x9f\x98\x80",
                                "\xe2\x82", "\x80", "\xff", " ",  "~"};
  std::mt19937 rng(14);
  for (int i = 0; i < 20'000; ++i) {
    std::string s;
    for (int n = static_cast<int>(rng() % 12); n > 0; --n) s += pieces[rng() % std::size(pieces)];
    std::string out = "x";
    append_json_string(out, s);
    ASSERT_EQ(out, "x" + escaped_bytewise(s));
    EXPECT_TRUE(nlohmann::json::accept(out.substr(1)));
  }
}

// Text of up to 16 bytes takes the short paths (bytes, 4-byte or 8-byte
// words): each byte value at each place of each length escaped as before.
TEST(JsonWriter, EveryByteEscapedAsBeforeInShortText) {
  for (size_t n = 0; n <= 18; ++n) {
    for (int c = 0; c < 256; ++c) {
      for (size_t at = 0; at < std::max<size_t>(n, 1); ++at) {
        std::string s(n, 'a');
        if (n > 0) s[at] = static_cast<char>(c);
        std::string out = "x";
        append_json_string(out, s);
        ASSERT_EQ(out, "x" + escaped_bytewise(s)) << "byte " << c << " at " << at << " of " << n;
      }
    }
  }
}

TEST(JsonWriter, NumbersAsToStringWritesThem) {
  std::vector<uint64_t> values{0, UINT64_MAX, UINT64_MAX - 1};
  for (uint64_t p = 1; p <= 10'000'000'000'000'000'000ULL; p *= 10) {
    values.insert(values.end(), {p - 1, p, p + 1, 5 * p});
    if (p > UINT64_MAX / 10) break;
  }
  std::mt19937_64 rng(14);
  for (int i = 0; i < 10'000; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v = 0; v < 100'000; ++v) values.push_back(v);  // every 4- and 5-digit value
  for (uint64_t v : values) {
    char buf[20];
    ASSERT_EQ(std::string(buf, write_decimal(buf, v)), std::to_string(v));
  }
  for (int v : {0, 1, -1, 9, -10, 99, -100, INT32_MAX, INT32_MIN}) {
    std::string out;
    { JsonObjectWriter(out).num("v", v); }
    EXPECT_EQ(out, "{\"v\":" + std::to_string(v) + "}");
  }
}

TEST(JsonWriter, AnObjectOfEveryKindOfMemberAfterWhatIsThere) {
  std::string out = "[";
  {
    JsonObjectWriter w(out);
    w.str("a", "x\"y");
    w.str("empty", "");
    w.num("n", uint64_t{18'446'744'073'709'551'615ULL});
    w.num("i", -2'147'483'647 - 1);
    w.boolean("t", true);
    w.boolean("f", false);
    w.str("long", std::string(3000, 'z'));  // past the room made at first
  }
  EXPECT_EQ(out,
            "[{\"a\":\"x\\\"y\",\"empty\":\"\",\"n\":18446744073709551615,\"i\":-2147483648,"
            "\"t\":true,\"f\":false,\"long\":\"" +
                std::string(3000, 'z') + "\"}");
  std::string omitted;
  {
    JsonObjectWriter w(omitted, JsonDefaults::Omit);
    w.str("a", "");
    w.num("n", uint64_t{0});
    w.num("i", 0);
    w.boolean("f", false);
    w.boolean("t", true);
  }
  EXPECT_EQ(omitted, "{\"t\":true}");
  // No member at all, and members written as text first, each after text
  // already there; the room grown under the object as it goes.
  std::string none = "x";
  { JsonObjectWriter w(none, JsonDefaults::Omit); }
  { JsonObjectWriter(none, JsonDefaults::Omit).num("zero", 0); }
  EXPECT_EQ(none, "x{}{}");
  std::string text = "[";
  {
    JsonObjectWriter w(text);
    w.members(R"(,"a":"","b":1)");
    w.plain_str("c", std::string(2000, 'c'));
  }
  EXPECT_EQ(text, R"([{"a":"","b":1,"c":")" + std::string(2000, 'c') + "\"}");
}

}  // namespace
}  // namespace loupe
