// HPACK decoding: RFC 7541 appendix C, the public hpack-test-case stories
// (tests/data/hpack), Huffman edge cases, a table joined mid-connection and
// the memory limits.
#include "protocols/http2/hpack.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http2_test_util.h"
#include "protocols/http2/huffman.h"

namespace loupe::http2 {
namespace {

using testing::unhex;

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields decode_ok(HpackDecoder& d, std::string_view hex) {
  std::vector<HeaderField> out;
  EXPECT_EQ(d.decode(unhex(hex), out), HpackDecoder::Result::Ok) << hex;
  Fields f;
  for (auto& h : out) {
    EXPECT_TRUE(h.known) << hex;
    f.emplace_back(h.name, h.value);
  }
  return f;
}

TEST(Hpack, Rfc7541RequestsWithoutHuffman) {  // C.3
  HpackDecoder d(true);
  EXPECT_EQ(decode_ok(d, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"),
            (Fields{{":method", "GET"},
                    {":scheme", "http"},
                    {":path", "/"},
                    {":authority", "www.example.com"}}));
  EXPECT_EQ(d.table_size(), 57u);
  EXPECT_EQ(decode_ok(d, "8286 84be 5808 6e6f 2d63 6163 6865"),
            (Fields{{":method", "GET"},
                    {":scheme", "http"},
                    {":path", "/"},
                    {":authority", "www.example.com"},
                    {"cache-control", "no-cache"}}));
  EXPECT_EQ(
      decode_ok(d, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"),
      (Fields{{":method", "GET"},
              {":scheme", "https"},
              {":path", "/index.html"},
              {":authority", "www.example.com"},
              {"custom-key", "custom-value"}}));
  EXPECT_EQ(d.table_entries(), 3u);
  EXPECT_EQ(d.table_size(), 164u);
  EXPECT_TRUE(d.in_sync());
}

TEST(Hpack, Rfc7541RequestsWithHuffman) {  // C.4
  HpackDecoder d(true);
  EXPECT_EQ(decode_ok(d, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"),
            (Fields{{":method", "GET"},
                    {":scheme", "http"},
                    {":path", "/"},
                    {":authority", "www.example.com"}}));
  EXPECT_EQ(decode_ok(d, "8286 84be 5886 a8eb 1064 9cbf").back(),
            (std::pair<std::string, std::string>{"cache-control", "no-cache"}));
  EXPECT_EQ(decode_ok(d, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"),
            (Fields{{":method", "GET"},
                    {":scheme", "https"},
                    {":path", "/index.html"},
                    {":authority", "www.example.com"},
                    {"custom-key", "custom-value"}}));
  EXPECT_EQ(d.table_size(), 164u);
}

// C.5 and C.6 run with SETTINGS_HEADER_TABLE_SIZE 256; the encoder's size
// update (3fe101 = 256) tells the decoder, and entries are evicted.
const Fields kThirdResponse{
    {":status", "200"},
    {"cache-control", "private"},
    {"date", "Mon, 21 Oct 2013 20:13:22 GMT"},
    {"location", "https://www.example.com"},
    {"content-encoding", "gzip"},
    {"set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"}};

TEST(Hpack, Rfc7541ResponsesWithEviction) {  // C.5
  HpackDecoder d(true);
  decode_ok(d,
            "3fe101 4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 "
            "3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 "
            "6d70 6c65 2e63 6f6d");
  EXPECT_EQ(d.table_size(), 222u);
  EXPECT_EQ(decode_ok(d, "4803 3330 37c1 c0bf"), (Fields{{":status", "307"},
                                                         {"cache-control", "private"},
                                                         {"date", "Mon, 21 Oct 2013 20:13:21 GMT"},
                                                         {"location", "https://www.example.com"}}));
  EXPECT_EQ(d.table_size(), 222u);
  EXPECT_EQ(decode_ok(d,
                      "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 "
                      "474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 "
                      "454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 "
                      "6572 7369 6f6e 3d31"),
            kThirdResponse);
  EXPECT_EQ(d.table_entries(), 3u);
  EXPECT_EQ(d.table_size(), 215u);
}

TEST(Hpack, Rfc7541ResponsesWithHuffmanAndEviction) {  // C.6
  HpackDecoder d(true);
  decode_ok(d,
            "3fe101 4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 "
            "82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3");
  EXPECT_EQ(decode_ok(d, "4883 640e ffc1 c0bf").front(),
            (std::pair<std::string, std::string>{":status", "307"}));
  EXPECT_EQ(decode_ok(d,
                      "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b "
                      "d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 "
                      "0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"),
            kThirdResponse);
  EXPECT_EQ(d.table_size(), 215u);
}

// Every story of tests/data/hpack: one decoder per story (its cases share
// the compression context), each case's wire decodes to its headers.
TEST(Hpack, PublicTestCaseStories) {
  const std::filesystem::path dir = std::filesystem::path(LOUPE_TEST_DATA) / "hpack";
  int stories = 0, cases = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (file.path().extension() != ".json") continue;
    ++stories;
    std::ifstream in(file.path());
    nlohmann::json story = nlohmann::json::parse(in);
    HpackDecoder d(true);
    for (const auto& c : story["cases"]) {
      ++cases;
      Fields want;
      for (const auto& h : c["headers"])
        for (const auto& [name, value] : h.items())
          want.emplace_back(name, value.get<std::string>());
      ASSERT_EQ(decode_ok(d, c["wire"].get<std::string>()), want)
          << file.path() << " case " << c["seqno"];
    }
  }
  EXPECT_GE(stories, 12);
  EXPECT_GE(cases, 100);
}

TEST(Huffman, EveryByteValue) {
  std::string out;
  ASSERT_TRUE(huffman_decode(
      unhex("ffc7fffd8fffffe2fffffe3fffffe4fffffe5fffffe6fffffe7fffffe8ffffeafffffff3fffffa7f"
            "ffffabffffffdfffffebfffffecfffffedfffffeefffffefffffff0ffffff1ffffff2fffffffbfff"
            "ffcffffffd3fffffd7fffffdbfffffdffffffe3fffffe7fffffebfffffed4fe3f9ffaffcabf1febf"
            "afefe7fdfd2cbb00089969b71d79fb9f7fff20ffbff3ff50ddbd7f061c58f265cd9f469d5af66ddd"
            "bf871e5f9cff7ff7fffc3ff9ffe45fff4719242cb34e6e9d68a6a3d7dac426defe3cfaf7fffbfe7f"
            "fbffdffffffcfffe6ffff4bfff9ffffa3fffd3ffff53fffd5ffffb3fffeb7fffdaffffb7ffff73ff"
            "feeffffdeffffebffffbfffffd9ffffdbfffebffffe0ffffeeffffc3ffff8bffff1ffffe4fffee7f"
            "ffb1ffff97fffd9ffffcdffff9fffffbffffdafffeeffff4ffffb7fffee7fffe8ffffd3fffdeffff"
            "d5fffeeffffbdffffe1fffdfffff7fffff5ffffecffff07fff87fffe0ffff17fffedffff87ffff77"
            "fffeffffeaffff8bfffe3ffff93ffff87fffcbffff37ffff1fffff83ffffe1fffebfffe3ffff3fff"
            "ff2ffffa3ffffd9fffff17ffffc7fffff27ffffdefffffbffffff2fffff8fffffb7fff97fff8ffff"
            "fe6fffffc1fffff87ffffe7fffffc5ffffe5fffe4ffff2fffffd1fffff4ffffffefffffe3fffffc9"
            "fffff97fffb3ffffcffffb7fffcdffff4ffff9ffffd1ffffcffffeaffffafffffddffffeffffff4f"
            "ffff5fffffabffffa7ffffd7fffff9bffffecfffffb7fffff3fffffe8fffffd3fffffabfffff5fff"
            "ffff7ffffecfffffdbfffffbbfffff7ffffff0fffffbbf"),
      out));
  ASSERT_EQ(out.size(), 256u);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(static_cast<unsigned char>(out[i]), i);
}

TEST(Huffman, LongestCodesAndPadding) {
  std::string out;
  // "\n\r\x16": three 30-bit codes, then 6 bits of padding.
  ASSERT_TRUE(huffman_decode(unhex("ffff fff3 ffff ffdf ffff ffbf"), out));
  EXPECT_EQ(out, "\n\r\x16");
  out.clear();
  ASSERT_TRUE(huffman_decode("", out));  // an empty string is valid
  EXPECT_EQ(out, "");
  ASSERT_TRUE(huffman_decode(unhex("1f"), out));  // 'a' (5 bits) + 3 bits of padding
  EXPECT_EQ(out, "a");
}

TEST(Huffman, RejectsBadPaddingAndEos) {
  std::string out;
  EXPECT_FALSE(huffman_decode(unhex("18"), out));         // 'a' then padding of zeros
  EXPECT_FALSE(huffman_decode(unhex("1fff"), out));       // 'a' then 11 bits of padding
  EXPECT_FALSE(huffman_decode(unhex("ff"), out));         // padding only, 8 bits
  EXPECT_FALSE(huffman_decode(unhex("ffff ffff"), out));  // EOS (30 ones) inside
}

TEST(Hpack, JoinedMidConnectionNeverGuesses) {
  HpackDecoder d(false);
  EXPECT_FALSE(d.in_sync());
  std::vector<HeaderField> out;
  // Static :method GET, an unknown dynamic entry (62), a literal of
  // :path with incremental indexing, and a literal whose name is unknown.
  ASSERT_EQ(d.decode(unhex("82 be 4405 2f75 7365 72 0f30 0178"), out), HpackDecoder::Result::Ok);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].known);
  EXPECT_EQ(out[0].value, "GET");
  EXPECT_FALSE(out[1].known);
  EXPECT_EQ(out[1].value, "");
  EXPECT_TRUE(out[2].known);
  EXPECT_EQ(out[2].value, "/user");
  EXPECT_FALSE(out[3].known);  // name index 63+... refers to an old entry
  EXPECT_EQ(out[3].value, "");
  // The entry inserted while watching is known: index 62 is ":path: /user".
  out.clear();
  ASSERT_EQ(d.decode(unhex("be bf"), out), HpackDecoder::Result::Ok);
  EXPECT_TRUE(out[0].known);
  EXPECT_EQ(out[0].value, "/user");
  EXPECT_FALSE(out[1].known);  // older than anything seen
  EXPECT_EQ(d.desyncs(), 0u);
  // A size update to 0 empties the table: from then on it is known.
  out.clear();
  ASSERT_EQ(d.decode(unhex("20 3fe11f 82"), out), HpackDecoder::Result::Ok);
  EXPECT_TRUE(d.in_sync());
  EXPECT_EQ(d.table_entries(), 0u);
}

TEST(Hpack, UnknownIndexInSyncIsMalformedAndCounted) {
  HpackDecoder d(true);
  std::vector<HeaderField> out;
  EXPECT_EQ(d.decode(unhex("82 be"), out), HpackDecoder::Result::Malformed);
  EXPECT_EQ(out.size(), 1u);  // the field before the error
  EXPECT_FALSE(d.in_sync());
  EXPECT_EQ(d.desyncs(), 1u);
  // A later block decodes again, with unknown dynamic references.
  out.clear();
  EXPECT_EQ(d.decode(unhex("be 84"), out), HpackDecoder::Result::Ok);
  EXPECT_FALSE(out[0].known);
  EXPECT_EQ(out[1].value, "/");
}

TEST(Hpack, LostBlockForgetsTheTable) {
  HpackDecoder d(true);
  decode_ok(d, "4405 2f75 7365 72");  // inserts ":path: /user"
  d.lose_block();
  EXPECT_EQ(d.desyncs(), 1u);
  std::vector<HeaderField> out;
  ASSERT_EQ(d.decode(unhex("be"), out), HpackDecoder::Result::Ok);
  EXPECT_FALSE(out[0].known);  // the lost block may have inserted more
}

TEST(Hpack, MalformedInputs) {
  for (const char* hex : {
           "80",                                         // index 0
           "ff",                                         // integer cut short
           "ff ffff ffff ffff 7f",                       // integer beyond 32 bits
           "40 05 61",                                   // name longer than the block
           "04 85 ffff ffff ff",                         // Huffman value holding EOS
           "ff 80 80 80 80 80 80 80 80 80 80 80 80 01",  // endless continuation
       }) {
    HpackDecoder d(true);
    std::vector<HeaderField> out;
    EXPECT_EQ(d.decode(unhex(hex), out), HpackDecoder::Result::Malformed) << hex;
  }
}

TEST(Hpack, FieldListIsBounded) {
  HpackDecoder d(true, {.max_table_bytes = 64 * 1024, .max_list_bytes = 1024});
  // A 200-byte entry, then 100 one-byte references to it: 23 KB of fields
  // from 100 bytes of block.
  std::string block = unhex("40 01 78") + std::string(1, static_cast<char>(0x7f)) +
                      std::string(1, static_cast<char>(200 - 127)) + std::string(200, 'v');
  block.append(100, static_cast<char>(0xbe));
  std::vector<HeaderField> out;
  EXPECT_EQ(d.decode(block, out), HpackDecoder::Result::Truncated);
  size_t bytes = 0;
  for (const auto& f : out) bytes += f.name.size() + f.value.size() + 32;
  EXPECT_LE(bytes, 1024u);
  EXPECT_TRUE(d.in_sync());
}

TEST(Hpack, PeerTableLargerThanOursBecomesUnknown) {
  HpackDecoder d(true, {.max_table_bytes = 100, .max_list_bytes = 64 * 1024});
  // Three entries of 40 bytes each ("a"/"b"/"c" = 1 + 7 + 32): the third
  // pushes the first out of our 100 bytes while the peer's 4096 keep it.
  decode_ok(d, "40 0161 0731 3233 3435 3637");
  decode_ok(d, "40 0162 0731 3233 3435 3637");
  decode_ok(d, "40 0163 0731 3233 3435 3637");
  std::vector<HeaderField> out;
  ASSERT_EQ(d.decode(unhex("be bf c0"), out), HpackDecoder::Result::Ok);
  EXPECT_EQ(out[0].name, "c");
  EXPECT_EQ(out[1].name, "b");
  EXPECT_FALSE(out[2].known);
  EXPECT_LE(d.table_size(), 100u);
}

}  // namespace
}  // namespace loupe::http2
