// UnwindRows against a real BPF array (needs root, as the agent does).
#include "agent/profile/unwind_rows.h"

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace loupe::profile {
namespace {

loupe_unwind_row row(uint32_t i) {
  loupe_unwind_row r{};
  r.pc = i * 7 + 1;
  r.cfa_rule = static_cast<uint8_t>(i % 3);
  r.rbp_rule = static_cast<uint8_t>(i % 2);
  r.rbp_offset = static_cast<int16_t>(-static_cast<int>(i % 100));
  r.cfa_offset = static_cast<int32_t>(i);
  return r;
}

bool same(const loupe_unwind_row& a, const loupe_unwind_row& b) {
  return std::memcmp(&a, &b, sizeof(a)) == 0;
}

class UnwindRowsTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kCapacity = 20000;  // several 4,096-row chunks
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "creating a BPF map needs root";
    fd_ = bpf_map_create(BPF_MAP_TYPE_ARRAY, "test_rows", sizeof(uint32_t),
                         sizeof(loupe_unwind_row), kCapacity, nullptr);
    ASSERT_GE(fd_, 0) << strerror(errno);
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
  }
  loupe_unwind_row kernel_row(uint32_t i) {
    loupe_unwind_row r{};
    EXPECT_EQ(bpf_map_lookup_elem(fd_, &i, &r), 0);
    return r;
  }
  int fd_ = -1;
};

TEST_F(UnwindRowsTest, WritesRowsAcrossChunksWhereTheProgramLooksThemUp) {
  UnwindRows rows(fd_, kCapacity);
  std::vector<loupe_unwind_row> in;
  for (uint32_t i = 0; i < 9000; ++i) in.push_back(row(i));
  ASSERT_TRUE(rows.write(5, in)) << strerror(errno);
  for (uint32_t i : {0u, 4096u, 4097u, 8191u, 8999u}) EXPECT_TRUE(same(kernel_row(5 + i), in[i]));
  EXPECT_TRUE(same(kernel_row(4), loupe_unwind_row{}));  // before the rows: untouched
  std::vector<loupe_unwind_row> back;
  ASSERT_TRUE(rows.read(5, 9000, back)) << strerror(errno);
  for (uint32_t i = 0; i < 9000; ++i) ASSERT_TRUE(same(back[i], in[i])) << i;
}

TEST_F(UnwindRowsTest, WritesUpToTheLastRowAndRefusesPastIt) {
  UnwindRows rows(fd_, kCapacity);
  std::vector<loupe_unwind_row> in(10, row(3));
  EXPECT_TRUE(rows.write(kCapacity - 10, in));
  EXPECT_TRUE(same(kernel_row(kCapacity - 1), row(3)));
  EXPECT_FALSE(rows.write(kCapacity - 9, in));
  EXPECT_EQ(errno, ERANGE);
  std::vector<loupe_unwind_row> back;
  EXPECT_TRUE(rows.read(kCapacity - 10, 10, back));
  EXPECT_FALSE(rows.read(kCapacity - 9, 10, back));
}

TEST_F(UnwindRowsTest, MovesRowsDownOverTheirOwnOldPlace) {
  // A compaction: rows at 100.. move to 30.., the two ranges overlapping
  // by far more than a chunk.
  UnwindRows rows(fd_, kCapacity);
  std::vector<loupe_unwind_row> in;
  for (uint32_t i = 0; i < 12000; ++i) in.push_back(row(i));
  ASSERT_TRUE(rows.write(100, in));
  ASSERT_TRUE(rows.move_down(30, 100, 12000)) << strerror(errno);
  std::vector<loupe_unwind_row> back;
  ASSERT_TRUE(rows.read(30, 12000, back));
  for (uint32_t i = 0; i < 12000; ++i) ASSERT_TRUE(same(back[i], in[i])) << i;
  // ... and from the very start of the array (the kernel's "no key yet").
  ASSERT_TRUE(rows.move_down(0, 30, 5000));
  ASSERT_TRUE(rows.read(0, 5000, back));
  for (uint32_t i = 0; i < 5000; ++i) ASSERT_TRUE(same(back[i], in[i])) << i;
  EXPECT_FALSE(rows.move_down(10, 5, 1));  // up is not a compaction
}

}  // namespace
}  // namespace loupe::profile
