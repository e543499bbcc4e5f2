// Reading Go programs for the crypto/tls probes: build info versions (both
// section forms), RET instructions found by disassembly, and a real Go
// program built here with the installed Go toolchain (skipped without
// one): its Read/Write symbols, returns checked against binutils' objdump,
// and its stripped copy. (No position independent build: -buildmode=pie
// recompiles the standard library, ~30 s here.)
#include "agent/gotls/go_binary.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "../../support/foreign_uprobe.h"
#include "agent/gotls/go_buildinfo.h"
#include "agent/gotls/go_layout.h"
#include "agent/gotls/ret_offsets.h"

namespace loupe::gotls::testing {
namespace {

namespace fs = std::filesystem;

std::string header(uint8_t ptr_size, uint8_t flags) {
  std::string h = "\xff Go buildinf:";
  h += static_cast<char>(ptr_size);
  h += static_cast<char>(flags);
  h.resize(32, '\0');
  return h;
}

TEST(GoBuildinfo, InlineVersionOfGo118AndLater) {
  std::string s = header(8, 2) + "\x08go1.19.8" + "\x05path\x09";
  EXPECT_EQ(go_buildinfo_version(s, nullptr), "go1.19.8");
}

TEST(GoBuildinfo, PointerFormBeforeGo118) {
  // The first pointer (at 16) is the address of a Go string header.
  std::string s = header(8, 0);
  uint64_t header_addr = 0x5000;
  std::memcpy(s.data() + 16, &header_addr, 8);
  std::string str_header(16, '\0');
  uint64_t data = 0x6000, len = 8;
  std::memcpy(str_header.data(), &data, 8);
  std::memcpy(str_header.data() + 8, &len, 8);
  std::string text = "go1.17.3";
  ReadAt read_at = [&](uint64_t addr, uint64_t n) -> std::string_view {
    if (addr == 0x5000 && n == 16) return str_header;
    if (addr == 0x6000 && n == 8) return text;
    return {};
  };
  EXPECT_EQ(go_buildinfo_version(s, read_at), "go1.17.3");
  // An address outside the file, a length beyond what is there.
  EXPECT_EQ(go_buildinfo_version(s, [](uint64_t, uint64_t) { return std::string_view(); }), "");
  len = 1u << 30;
  std::memcpy(str_header.data() + 8, &len, 8);
  EXPECT_EQ(go_buildinfo_version(s, read_at), "");
}

TEST(GoBuildinfo, MalformedSections) {
  EXPECT_EQ(go_buildinfo_version("", nullptr), "");
  EXPECT_EQ(go_buildinfo_version("\xff Go buildinf:", nullptr), "");       // cut short
  EXPECT_EQ(go_buildinfo_version(header(8, 2) + "\x20go1", nullptr), "");  // length past the end
  EXPECT_EQ(go_buildinfo_version(header(8, 2) + "\xff\xff\xff", nullptr), "");  // unfinished varint
  EXPECT_EQ(go_buildinfo_version(header(3, 0), nullptr), "");                   // odd pointer size
  std::string other = header(8, 2) + "\x08go1.19.8";
  other[1] = 'X';
  EXPECT_EQ(go_buildinfo_version(other, nullptr), "");
}

TEST(GoVersion, Parses) {
  EXPECT_EQ(parse_go_version("go1.19.8"), (GoVersion{1, 19}));
  EXPECT_EQ(parse_go_version("go1.21rc2"), (GoVersion{1, 21}));
  EXPECT_EQ(parse_go_version("devel go1.23-abcdef Tue"), (GoVersion{1, 23}));
  EXPECT_FALSE(parse_go_version("go2"));
  EXPECT_FALSE(parse_go_version("go1."));
  EXPECT_FALSE(parse_go_version(""));
}

TEST(GoLayout, KnownVersions) {
  EXPECT_FALSE(known_go_tls_layout({1, 16}));
  auto l = known_go_tls_layout({1, 19});
  ASSERT_TRUE(l);
  EXPECT_EQ(l->conn, 0u);
  EXPECT_EQ(l->sysfd, 16u);
  EXPECT_EQ(register_abi_since(EM_X86_64), (GoVersion{1, 17}));
  EXPECT_EQ(register_abi_since(EM_AARCH64), (GoVersion{1, 18}));
  EXPECT_FALSE(register_abi_since(EM_386));
}

TEST(Returns, X86) {
  // mov %rbx,%rax; ret; int3; ret $8; nop
  std::string code("\x48\x89\xd8\xc3\xcc\xc2\x08\x00\x90", 9);
  Returns r = find_returns(code, EM_X86_64);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.offsets, (std::vector<uint64_t>{3, 5}));
  // A byte sequence that is no instruction: nothing trusted after it.
  Returns bad = find_returns("\xc3\x06\xc3", EM_X86_64);  // push %es: invalid in 64-bit mode
  EXPECT_TRUE(bad.offsets.empty());
  EXPECT_NE(bad.error, "");
}

TEST(Returns, Arm64SkipsUndecodableWords) {
  // nop; ret; a word that is no instruction; ret
  std::string code("\x1f\x20\x03\xd5\xc0\x03\x5f\xd6\x00\x00\x00\x00\xc0\x03\x5f\xd6", 16);
  Returns r = find_returns(code, EM_AARCH64);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.offsets, (std::vector<uint64_t>{4, 12}));
  EXPECT_NE(find_returns(code, EM_386).error, "");
}

TEST(GoBinary, NotGoOrNotElf) {
  std::string error;
  EXPECT_FALSE(inspect_go_binary_bytes("not an ELF file at all", &error));
  EXPECT_NE(error, "");
  error.clear();
  EXPECT_FALSE(inspect_go_binary("/proc/self/exe", &error));  // this test: ELF, not Go
  EXPECT_EQ(error, "");
  EXPECT_FALSE(inspect_go_binary("/nonexistent/program", &error));
  EXPECT_NE(error, "");
}

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

// A Go program using crypto/tls over TCP, built once for the suite.
class GoProgram : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (run("command -v go").empty()) return;
    dir_ = new fs::path(fs::temp_directory_path() / ("loupe-gotls-" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    std::ofstream(*dir_ / "main.go") << R"(package main

import (
	"crypto/tls"
	"net"
	"os"
)

func main() {
	if len(os.Args) < 3 {
		return
	}
	raw, err := net.Dial("tcp", os.Args[1])
	if err != nil {
		return
	}
	c := tls.Client(raw, &tls.Config{ServerName: os.Args[2]})
	c.Write([]byte("x"))
	buf := make([]byte, 16)
	c.Read(buf)
}
)";
    std::string env = "cd " + dir_->string() + " && GOCACHE=" + dir_->string() +
                      "/cache GOPATH=" + dir_->string() +
                      "/gopath GO111MODULE=off GOPROXY=off GOFLAGS= ";
    run(env +
        "go build -o prog main.go 2>&1 && go build -ldflags=-w -o prog_nodwarf main.go 2>&1 && "
        "objcopy --strip-all prog prog_stripped 2>&1");
    version_ = new std::string(run("go env GOVERSION"));
    while (!version_->empty() && version_->back() == '\n') version_->pop_back();
  }
  static void TearDownTestSuite() {
    if (dir_) fs::remove_all(*dir_);
    delete dir_;
    delete version_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!dir_ || !fs::exists(*dir_ / "prog_stripped")) GTEST_SKIP() << "no Go toolchain";
  }
  static std::string path(const char* name) { return (*dir_ / name).string(); }

  static fs::path* dir_;
  static std::string* version_;
};
fs::path* GoProgram::dir_ = nullptr;
std::string* GoProgram::version_ = nullptr;

// The RET instructions binutils' objdump sees in [start, end) of a file.
size_t objdump_rets(const std::string& file, uint64_t start, uint64_t end) {
  std::ostringstream cmd;
  cmd << "objdump -d --no-show-raw-insn --start-address=0x" << std::hex << start
      << " --stop-address=0x" << end << " " << file << " | grep -cE '\\sret\\s*$'";
  return std::stoul("0" + run(cmd.str()));
}

TEST_F(GoProgram, FindsCryptoTlsAndItsReturns) {
  std::string error;
  auto go = inspect_go_binary(path("prog"), &error);
  ASSERT_TRUE(go) << error;
  EXPECT_EQ(go->version, *version_);
  EXPECT_TRUE(go->has_symbols);
  EXPECT_FALSE(go->position_independent);
  EXPECT_NE(go->tcp_conn_itab, 0u);
  ASSERT_TRUE(go->read);
  ASSERT_TRUE(go->write);
  EXPECT_GT(go->read->size, 0u);
  EXPECT_NE(go->read->address, go->write->address);
  ASSERT_FALSE(go->read->returns.empty()) << go->read->returns_error;
  if (go->machine != EM_X86_64) return;
  // Each return is a RET byte in the file, inside the function, and there
  // are as many as objdump finds.
  std::ifstream f(path("prog"), std::ios::binary);
  for (uint64_t off : go->read->returns) {
    EXPECT_GE(off, go->read->file_offset);
    EXPECT_LT(off, go->read->file_offset + go->read->size);
    f.seekg(static_cast<std::streamoff>(off));
    EXPECT_EQ(f.get(), 0xc3) << "offset " << off;
  }
  EXPECT_EQ(go->read->returns.size(),
            objdump_rets(path("prog"), go->read->address, go->read->address + go->read->size));
}

// Another tracer's uprobes on Read's entry and on each of its returns put
// int3 bytes in any private mapping of the file: the returns are still
// found, the same ones. (Two Loupe agents on one host saw no RET at all.)
TEST_F(GoProgram, ReturnsAreFoundUnderAnotherTracersProbes) {
  std::string error;
  auto clean = inspect_go_binary(path("prog"), &error);
  ASSERT_TRUE(clean && clean->read) << error;
  ASSERT_FALSE(clean->read->returns.empty());
  std::vector<std::unique_ptr<loupe::testing::ForeignUprobe>> probes;
  probes.push_back(
      std::make_unique<loupe::testing::ForeignUprobe>(path("prog"), clean->read->file_offset));
  if (!probes.back()->ok()) GTEST_SKIP() << "cannot register a uprobe here (root needed)";
  for (uint64_t off : clean->read->returns)
    probes.push_back(std::make_unique<loupe::testing::ForeignUprobe>(path("prog"), off));
  auto probed = inspect_go_binary(path("prog"), &error);
  ASSERT_TRUE(probed && probed->read) << error;
  EXPECT_EQ(probed->read->returns_error, "");
  EXPECT_EQ(probed->read->returns, clean->read->returns);
}

TEST_F(GoProgram, SocketOffsetsFromDwarfMatchTheKnownLayout) {
  std::string error;
  auto go = inspect_go_binary(path("prog"), &error);
  ASSERT_TRUE(go) << error;
  ASSERT_TRUE(go->dwarf_layout);
  EXPECT_EQ(go->dwarf_layout->source, "dwarf");
  auto version = parse_go_version(go->version);
  ASSERT_TRUE(version);
  EXPECT_EQ(*go->dwarf_layout, *known_go_tls_layout(*version));
  EXPECT_EQ(go->dwarf_layout->sysfd, 16u);
  // Built without DWARF: symbols, but no layout of its own.
  auto bare = inspect_go_binary(path("prog_nodwarf"), &error);
  ASSERT_TRUE(bare) << error;
  EXPECT_TRUE(bare->read);
  EXPECT_FALSE(bare->dwarf_layout);
}

TEST_F(GoProgram, StrippedCopyIsGoWithoutSymbols) {
  std::string error;
  auto go = inspect_go_binary(path("prog_stripped"), &error);
  ASSERT_TRUE(go) << error;
  EXPECT_EQ(go->version, *version_);
  EXPECT_FALSE(go->has_symbols);
  EXPECT_FALSE(go->read);
  EXPECT_FALSE(go->write);
}

}  // namespace
}  // namespace loupe::gotls::testing
