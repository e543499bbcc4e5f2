// BpfRingReader against a real BPF ring buffer written by a BPF program
// (records of every size, across the ring's end, discarded ones, the epoll
// wakeup), and consume_ring over a ring laid out by hand for what a program
// cannot hold still: a record reserved and not yet committed (the busy bit).
#include "agent/bpf_ring_reader.h"

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace loupe {
namespace {

constexpr uint32_t kMaxPayload = 8192;

// A program run with bpf_prog_test_run: ctx = {u32 size, u32 discard}.
// Not discarding: bpf_ringbuf_output of the first `size` bytes of the
// payload map's value; discarding: a 64-byte reservation discarded.
struct ProgramCtx {
  uint32_t size = 0;
  uint32_t discard = 0;
};

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

std::vector<bpf_insn> producer_program(int payload_fd, int ring_fd) {
  auto map = [](std::vector<bpf_insn>& p, uint8_t reg, int fd) {
    p.push_back(insn(BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, fd));
    p.push_back(insn(0, 0, 0, 0, 0));
  };
  std::vector<bpf_insn> p;
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0));                // 0: r6 = ctx
  p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, 7, 6, 0, 0));                  // 1: r7 = size
  p.push_back(insn(BPF_LDX | BPF_MEM | BPF_W, 8, 6, 4, 0));                  // 2: r8 = discard
  p.push_back(insn(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0));                 // 3: key 0
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));               // 4
  p.push_back(insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4));               // 5: r2 = &key
  map(p, 1, payload_fd);                                                     // 6-7
  p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));  // 8
  p.push_back(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 18, 0));                 // 9: -> 28
  p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 8, 0, 8, 0));                  // 10: -> 19
  p.push_back(insn(BPF_JMP | BPF_JGT | BPF_K, 7, 0, 16, kMaxPayload));       // 11: -> 28
  map(p, 1, ring_fd);                                                        // 12-13
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 2, 0, 0, 0));                // 14
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, 7, 0, 0));                // 15
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0));                // 16
  p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output));   // 17
  p.push_back(insn(BPF_JMP | BPF_JA, 0, 0, 9, 0));                           // 18: -> 28
  map(p, 1, ring_fd);                                                        // 19-20
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 64));               // 21
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0));                // 22
  p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_reserve));  // 23
  p.push_back(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0));                  // 24: -> 28
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 0, 0, 0));                // 25
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0));                // 26
  p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_discard));  // 27
  p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));                // 28: out
  p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));                         // 29
  return p;
}

// The bytes of record `seq` of `size` bytes.
std::vector<uint8_t> payload(uint32_t seq, uint32_t size) {
  std::vector<uint8_t> v(size);
  for (uint32_t i = 0; i < size; ++i) v[i] = static_cast<uint8_t>(seq * 31 + i);
  return v;
}

class RealRing : public ::testing::Test {
 protected:
  static constexpr uint32_t kRingBytes = 4096;  // the smallest ring: many laps
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "BPF programs need root";
    payload_fd_ = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ring_payload", 4, kMaxPayload, 1, nullptr);
    ASSERT_GE(payload_fd_, 0) << strerror(errno);
    ring_fd_ = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ring_test", 0, 0, kRingBytes, nullptr);
    ASSERT_GE(ring_fd_, 0) << strerror(errno);
    std::vector<bpf_insn> prog = producer_program(payload_fd_, ring_fd_);
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .prog_flags = BPF_F_SLEEPABLE);
    std::vector<char> log(65536);
    opts.log_buf = log.data();
    opts.log_size = static_cast<uint32_t>(log.size());
    opts.log_level = 1;
    prog_fd_ = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "ring_producer", "GPL", prog.data(),
                             prog.size(), &opts);
    ASSERT_GE(prog_fd_, 0) << strerror(errno) << "\n" << log.data();
    ASSERT_TRUE(reader_.open(ring_fd_, kRingBytes)) << strerror(errno);
  }
  void TearDown() override {
    for (int fd : {prog_fd_, ring_fd_, payload_fd_})
      if (fd >= 0) close(fd);
  }
  // Has the program write record `seq` of `size` bytes (or a discarded one).
  void produce(uint32_t seq, uint32_t size, bool discard = false) {
    if (!discard) {
      std::vector<uint8_t> value = payload(seq, size);
      value.resize(kMaxPayload);
      uint32_t key = 0;
      ASSERT_EQ(bpf_map_update_elem(payload_fd_, &key, value.data(), BPF_ANY), 0);
    }
    ProgramCtx ctx{size, discard ? 1u : 0u};
    LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
    ASSERT_EQ(bpf_prog_test_run_opts(prog_fd_, &run), 0) << strerror(errno);
    // Where the record lies, to count those that wrap.
    if (!discard) {
      uint64_t at = written_ & (kRingBytes - 1);
      if (at + 8 + size > kRingBytes) ++wrapped_;
    }
    written_ += (uint64_t{discard ? 64u : size} + 8 + 7) & ~uint64_t{7};
  }
  int payload_fd_ = -1, ring_fd_ = -1, prog_fd_ = -1;
  BpfRingReader reader_;
  uint64_t written_ = 0;
  int wrapped_ = 0;
};

TEST_F(RealRing, HandsOverEveryRecordInOrderAcrossTheEndOfTheRing) {
  uint32_t seq = 0, next_expected = 0, discarded = 0;
  std::vector<uint32_t> sizes;  // of the records produced, by seq
  for (int lap = 0; lap < 60; ++lap) {
    uint64_t batch = 0;
    // Sizes 0..600 in a varying order, discarded reservations among them,
    // up to ~3 KiB per batch so the 4 KiB ring never fills.
    while (batch < 3000) {
      uint32_t size = (seq * 97 + lap * 13) % 601;
      if (seq % 11 == 5) {
        produce(0, 0, true);
        ++discarded;
        batch += 72;
      }
      sizes.push_back(size);
      produce(seq++, size);
      batch += (size + 8 + 7) & ~7u;
    }
    size_t handed = reader_.consume(1'000'000, [&](std::span<const uint8_t> r) {
      ASSERT_LT(next_expected, sizes.size());
      std::vector<uint8_t> want = payload(next_expected, sizes[next_expected]);
      ASSERT_EQ(r.size(), want.size()) << "record " << next_expected;
      ASSERT_TRUE(std::equal(r.begin(), r.end(), want.begin())) << "record " << next_expected;
      ++next_expected;
    });
    ASSERT_GT(handed, 0u);
    ASSERT_EQ(reader_.unread_bytes(), 0u);
  }
  EXPECT_EQ(next_expected, seq);  // every record, none twice, discarded ones skipped
  EXPECT_GT(discarded, 50u);
  EXPECT_GT(wrapped_, 20) << "too few records crossed the end of the ring to test the copy";
}

TEST_F(RealRing, StopsAtTheBudgetAndGoesOnFromThere) {
  for (uint32_t i = 0; i < 10; ++i) produce(i, 40 + i);
  std::vector<uint32_t> sizes;
  auto collect = [&](std::span<const uint8_t> r) {
    sizes.push_back(static_cast<uint32_t>(r.size()));
  };
  EXPECT_EQ(reader_.consume(4, collect), 4u);
  EXPECT_GT(reader_.unread_bytes(), 0u);  // the space of the rest is still held
  EXPECT_EQ(reader_.consume(100, collect), 6u);
  EXPECT_EQ(reader_.consume(100, collect), 0u);
  std::vector<uint32_t> want;
  for (uint32_t i = 0; i < 10; ++i) want.push_back(40 + i);
  EXPECT_EQ(sizes, want);
}

TEST_F(RealRing, WaitReturnsWhenTheKernelHasDataAndTimesOutWhenNot) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  reader_.wait(100);
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(90));  // empty: the timeout
  produce(1, 16);  // no wakeup flag: the kernel wakes a reader that had caught up
  t0 = Clock::now();
  reader_.wait(5000);
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(2000));
  EXPECT_EQ(reader_.consume(10, [](std::span<const uint8_t>) {}), 1u);
}

// A ring laid out by hand: the busy bit, and a record whose header is the
// ring's last 8 bytes (its body starts at the ring's start).
struct HandRing {
  static constexpr uint64_t kSize = 64;
  uint64_t consumer = 0, producer = 0;
  alignas(8) uint8_t data[kSize] = {};
  RingLayout layout() { return {&consumer, &producer, data, kSize}; }
  void put(uint32_t len_bits, const std::string& body) {  // at the producer position
    uint64_t at = producer & (kSize - 1);
    std::memcpy(data + at, &len_bits, 4);
    for (size_t i = 0; i < body.size(); ++i) data[(at + 8 + i) & (kSize - 1)] = body[i];
    producer += (body.size() + 8 + 7) & ~size_t{7};
  }
  void set_len(uint64_t pos, uint32_t len_bits) {
    std::memcpy(data + (pos & (kSize - 1)), &len_bits, 4);
  }
};

std::vector<std::string> consume_all(HandRing& ring, std::vector<uint8_t>& wrap) {
  std::vector<std::string> out;
  consume_ring(ring.layout(), 100, wrap, [&](std::span<const uint8_t> r) {
    out.emplace_back(reinterpret_cast<const char*>(r.data()), r.size());
  });
  return out;
}

TEST(ConsumeRing, StopsAtARecordStillBeingWrittenAndTakesItOnceCommitted) {
  HandRing ring;
  std::vector<uint8_t> wrap;
  ring.put(5, "first");
  uint64_t busy_at = ring.producer;
  ring.put(BPF_RINGBUF_BUSY_BIT | 6, "second");
  ring.put(5, "third");  // committed after a busy one: must wait behind it
  EXPECT_EQ(consume_all(ring, wrap), std::vector<std::string>{"first"});
  EXPECT_EQ(ring.consumer, busy_at);  // the busy record's space is not given back
  ring.set_len(busy_at, 6);           // the program commits it
  EXPECT_EQ(consume_all(ring, wrap), (std::vector<std::string>{"second", "third"}));
  EXPECT_EQ(ring.consumer, ring.producer);
}

TEST(ConsumeRing, SkipsDiscardedRecordsAndCopiesOnesThatWrap) {
  HandRing ring;
  std::vector<uint8_t> wrap;
  ring.put(BPF_RINGBUF_DISCARD_BIT | 20, std::string(20, 'x'));  // 0..32
  ring.put(9, "123456789");                                      // 32..56
  EXPECT_EQ(consume_all(ring, wrap), std::vector<std::string>{"123456789"});
  // Header at 56..64, body at 0..: the body starts at the ring's start.
  ring.put(12, "abcdefghijkl");
  EXPECT_EQ(consume_all(ring, wrap), std::vector<std::string>{"abcdefghijkl"});
  // Header at 80 & 63 = 16, body 24..64 and on past the end: copied whole.
  ring.put(50, std::string(40, 'a') + std::string(10, 'b'));
  EXPECT_EQ(consume_all(ring, wrap),
            std::vector<std::string>{std::string(40, 'a') + std::string(10, 'b')});
  EXPECT_EQ(ring.consumer, ring.producer);
}

}  // namespace
}  // namespace loupe
