// The unwind table builder against programs gcc builds here, with and
// without frame pointers, whose instructions and CFI are known: the rows
// must say what the code does at each pc.
#include "agent/profile/unwind_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace loupe::profile::testing {
namespace {

constexpr const char* kSource = R"(
#include <stdio.h>
volatile unsigned long sink;
__attribute__((noinline)) void big_frame(int n) {
  volatile char buf[4096];
  for (int i = 0; i < n; ++i) buf[i & 4095] = (char)i;
  sink = buf[n & 4095];
}
__attribute__((noinline)) int caller(int n) {
  big_frame(n);
  puts("x");  /* through the PLT */
  return n + 1;
}
int main(int argc, char** argv) { (void)argv; return caller(argc) - argc - 1; }
)";

struct Built {
  std::string path;
  std::map<std::string, uint64_t> symbols;  // name -> ELF virtual address
  uint64_t plt = 0, plt_size = 0;
};

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

// Builds kSource with `flags` (gcc from PATH, as the e2e tests use it).
Built build(const std::string& name, const std::string& flags) {
  auto dir = std::filesystem::temp_directory_path() / ("loupe_unwind_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  Built b;
  b.path = (dir / name).string();
  std::ofstream(dir / "prog.c") << kSource;
  std::string cmd = "gcc " + flags + " -o " + b.path + " " + (dir / "prog.c").string() + " 2>&1";
  std::string err = run(cmd);
  EXPECT_TRUE(std::filesystem::exists(b.path)) << cmd << ": " << err;
  std::istringstream nm(run("nm " + b.path));
  std::string line;
  while (std::getline(nm, line)) {
    std::istringstream f(line);
    std::string addr, type, sym;
    if (f >> addr >> type >> sym) b.symbols[sym] = std::stoull(addr, nullptr, 16);
  }
  std::istringstream sections(run("readelf -SW " + b.path));
  while (std::getline(sections, line)) {
    std::istringstream f(line.substr(line.find(']') + 1));
    std::string sec, type, addr, off, size;
    if (f >> sec >> type >> addr >> off >> size && sec == ".plt") {
      b.plt = std::stoull(addr, nullptr, 16);
      b.plt_size = std::stoull(size, nullptr, 16);
    }
  }
  return b;
}

UnwindTable table_of(const Built& b) {
  int fd = open(b.path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  std::string error;
  auto t = build_unwind_table(fd, &error);
  close(fd);
  EXPECT_TRUE(t.has_value()) << error;
  return t ? std::move(*t) : UnwindTable{};
}

const loupe_unwind_row& row_at(const UnwindTable& t, uint64_t vaddr) {
  static const loupe_unwind_row none{};
  const loupe_unwind_row* r = find_unwind_row(t, vaddr - t.base);
  return r ? *r : none;
}

// The first row after `vaddr` (within `limit` bytes) that differs from the
// one at `vaddr`.
const loupe_unwind_row& next_rule(const UnwindTable& t, uint64_t vaddr, uint64_t limit) {
  const loupe_unwind_row& first = row_at(t, vaddr);
  for (uint64_t pc = vaddr + 1; pc < vaddr + limit; ++pc)
    if (&row_at(t, pc) != &first) return row_at(t, pc);
  return first;
}

TEST(UnwindTable, FramePointerCodeHasTheClassicProlog) {
  Built b = build("fp", "-O2 -fno-omit-frame-pointer");
  UnwindTable t = table_of(b);
  uint64_t fn = b.symbols.at("big_frame");
  // push %rbp; mov %rsp,%rbp: RSP+8, then RSP+16 with RBP saved at CFA-16,
  // then RBP+16 for the rest of the body.
  const loupe_unwind_row& entry = row_at(t, fn);
  EXPECT_EQ(entry.cfa_rule, LOUPE_UNWIND_CFA_RSP);
  EXPECT_EQ(entry.cfa_offset, 8);
  EXPECT_EQ(entry.rbp_rule, LOUPE_UNWIND_RBP_UNCHANGED);
  const loupe_unwind_row& pushed = next_rule(t, fn, 64);
  EXPECT_EQ(pushed.cfa_rule, LOUPE_UNWIND_CFA_RSP);
  EXPECT_EQ(pushed.cfa_offset, 16);
  EXPECT_EQ(pushed.rbp_rule, LOUPE_UNWIND_RBP_AT_CFA);
  EXPECT_EQ(pushed.rbp_offset, -16);
  const loupe_unwind_row& framed = next_rule(t, t.base + pushed.pc, 64);
  EXPECT_EQ(framed.cfa_rule, LOUPE_UNWIND_CFA_RBP);
  EXPECT_EQ(framed.cfa_offset, 16);
  EXPECT_EQ(framed.rbp_rule, LOUPE_UNWIND_RBP_AT_CFA);
}

TEST(UnwindTable, CodeWithoutFramePointersIsDescribedThroughRsp) {
  Built b = build("nofp", "-O2 -fomit-frame-pointer");
  UnwindTable t = table_of(b);
  uint64_t fn = b.symbols.at("big_frame");
  EXPECT_EQ(row_at(t, fn).cfa_rule, LOUPE_UNWIND_CFA_RSP);
  EXPECT_EQ(row_at(t, fn).cfa_offset, 8);
  // sub $0xf98,%rsp (4096 bytes less the red zone): the CFA moves with
  // it; RBP is never touched.
  const loupe_unwind_row& body = next_rule(t, fn, 64);
  EXPECT_EQ(body.cfa_rule, LOUPE_UNWIND_CFA_RSP);
  EXPECT_GT(body.cfa_offset, 3900);
  EXPECT_EQ(body.rbp_rule, LOUPE_UNWIND_RBP_UNCHANGED);
  for (const auto& [name, addr] : b.symbols)
    if (name == "caller" || name == "main") {
      EXPECT_EQ(row_at(t, addr).cfa_rule, LOUPE_UNWIND_CFA_RSP) << name;
      EXPECT_NE(row_at(t, addr).rbp_rule, LOUPE_UNWIND_RBP_UNDEFINED) << name;
    }
  EXPECT_EQ(t.unsupported, 0u);
}

TEST(UnwindTable, ProgramEntryEndsTheStackAndThePltHasItsRule) {
  Built b = build("entry", "-O2");
  UnwindTable t = table_of(b);
  // glibc's _start marks its return address undefined: the outermost frame.
  EXPECT_EQ(row_at(t, b.symbols.at("_start") + 4).cfa_rule, LOUPE_UNWIND_CFA_END);
  ASSERT_GT(b.plt_size, 16u) << "puts gets a PLT entry";
  const loupe_unwind_row& entry = row_at(t, b.plt + 16);
  EXPECT_EQ(entry.cfa_rule, LOUPE_UNWIND_CFA_PLT);
  EXPECT_EQ(entry.cfa_offset, 8);
}

TEST(UnwindTable, AddressesOutsideEveryFdeHaveNoRule) {
  Built b = build("gaps", "-O2");
  UnwindTable t = table_of(b);
  // Below the first FDE and past the last one.
  EXPECT_EQ(row_at(t, t.base - 1).cfa_rule, LOUPE_UNWIND_CFA_NONE);
  EXPECT_EQ(row_at(t, t.base + (1ULL << 40)).cfa_rule, LOUPE_UNWIND_CFA_NONE);
  // Between functions (alignment padding, code without CFI) too.
  size_t gaps = 0;
  for (size_t i = 0; i + 1 < t.rows.size(); ++i)
    gaps += t.rows[i].cfa_rule == LOUPE_UNWIND_CFA_NONE;
  EXPECT_GT(gaps, 0u);
  for (size_t i = 1; i < t.rows.size(); ++i) ASSERT_LT(t.rows[i - 1].pc, t.rows[i].pc);
  ASSERT_FALSE(t.segments.empty());
  EXPECT_GT(t.fdes, 3u);
}

// The path of the C library this process maps.
std::string this_process_libc() {
  std::ifstream maps("/proc/self/maps");
  std::string line, libc;
  while (std::getline(maps, line))
    if (line.find("/libc.so.6") != std::string::npos) libc = line.substr(line.find('/'));
  return libc;
}

TEST(UnwindTable, TheCLibraryOfThisProcessUnwinds) {
  // Debian's libc is built without frame pointers: the reason for all this.
  std::string libc = this_process_libc();
  ASSERT_FALSE(libc.empty());
  int fd = open(libc.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string error;
  auto t = build_unwind_table(fd, &error);
  close(fd);
  ASSERT_TRUE(t.has_value()) << error;
  EXPECT_GT(t->fdes, 1000u);
  EXPECT_GT(t->rows.size(), t->fdes);
  // Nearly every row is one the BPF program can follow.
  EXPECT_LT(t->unsupported * 100, t->rows.size()) << t->unsupported << " of " << t->rows.size();
  std::printf("libc: %zu rows from %llu FDEs, %llu unsupported\n", t->rows.size(),
              static_cast<unsigned long long>(t->fdes),
              static_cast<unsigned long long>(t->unsupported));
}

TEST(UnwindTable, ATableOverTheRowLimitIsNotBuilt) {
  // What the loader does for an object larger than its share of the row
  // array: the build stops at the limit instead of holding the whole table.
  std::string libc = this_process_libc();
  ASSERT_FALSE(libc.empty());
  int fd = open(libc.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string error;
  auto whole = build_unwind_table(fd, &error);
  ASSERT_TRUE(whole.has_value()) << error;
  size_t rows = whole->rows.size();
  auto at_limit = build_unwind_table(fd, &error, rows);
  ASSERT_TRUE(at_limit.has_value()) << error;
  EXPECT_EQ(at_limit->rows.size(), rows);
  EXPECT_FALSE(build_unwind_table(fd, &error, rows - 1));
  EXPECT_EQ(error, "more than " + std::to_string(rows - 1) + " unwind rows");
  close(fd);
}

TEST(UnwindTable, BadInputIsAnErrorNotACrash) {
  std::string error;
  EXPECT_FALSE(build_unwind_table(std::string_view("not an ELF file"), &error));
  EXPECT_FALSE(error.empty());
  Built b = build("cut", "-O2");
  std::ifstream in(b.path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t cut : {size_t{64}, bytes.size() / 2, bytes.size() - 100}) {
    auto t = build_unwind_table(std::string_view(bytes).substr(0, cut), &error);
    if (t) {
      EXPECT_LE(t->rows.size(), bytes.size());
    }
  }
  // Garbage in .eh_frame: flip bytes in the middle of the file.
  std::string corrupt = bytes;
  for (size_t i = corrupt.size() / 4; i < corrupt.size() / 2; i += 7) corrupt[i] ^= 0x5a;
  (void)build_unwind_table(std::string_view(corrupt), &error);
}

}  // namespace
}  // namespace loupe::profile::testing
