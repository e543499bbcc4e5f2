#include "store/clickhouse/row_binary.h"

#include <gtest/gtest.h>

namespace loupe::store::clickhouse::testing {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s += static_cast<char>(v);
  return s;
}

TEST(RowBinary, IntegersAreLittleEndianOfTheirWidth) {
  RowBinaryWriter w;
  w.uint8(0xab);
  w.uint16(0x0102);
  w.uint32(0x01020304);
  w.uint64(0x0102030405060708ULL);
  EXPECT_EQ(w.bytes(), bytes({0xab, 0x02, 0x01, 0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05,
                              0x04, 0x03, 0x02, 0x01}));
}

TEST(RowBinary, Float64IsItsIeeeBitsLittleEndian) {
  RowBinaryWriter w;
  w.float64(1.5);  // 0x3ff8000000000000
  w.float64(-0.0);
  EXPECT_EQ(w.bytes(), bytes({0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x80}));
}

TEST(RowBinary, SignedIntegersAreTwosComplement) {
  RowBinaryWriter w;
  w.int32(-2);
  w.int64(-1);
  EXPECT_EQ(w.bytes(),
            bytes({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
}

TEST(RowBinary, BooleanIsOneByte) {
  RowBinaryWriter w;
  w.boolean(true);
  w.boolean(false);
  EXPECT_EQ(w.bytes(), bytes({1, 0}));
}

TEST(RowBinary, VarintIsUnsignedLeb128) {
  RowBinaryWriter w;
  w.varint(0);
  w.varint(127);
  w.varint(128);
  w.varint(300);
  w.varint(UINT64_MAX);
  EXPECT_EQ(w.bytes(), bytes({0x00, 0x7f, 0x80, 0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(RowBinary, StringIsLengthThenBytesVerbatim) {
  RowBinaryWriter w;
  w.string("");
  w.string(std::string("a\0\tb", 4));
  EXPECT_EQ(w.bytes(), bytes({0x00, 0x04, 'a', 0x00, '\t', 'b'}));
  std::string long_text(200, 'x');
  RowBinaryWriter w2;
  w2.string(long_text);
  EXPECT_EQ(w2.bytes(), bytes({0xc8, 0x01}) + long_text);
}

TEST(RowBinary, TakeHandsOverAndEmpties) {
  RowBinaryWriter w;
  w.uint8(7);
  std::string out = w.take();
  EXPECT_EQ(out, bytes({7}));
  EXPECT_EQ(w.size(), 0u);
  w.uint8(8);
  EXPECT_EQ(w.bytes(), bytes({8}));
}

}  // namespace
}  // namespace loupe::store::clickhouse::testing
