// Go's function table read from tables laid out as the Go 1.16 and 1.18+
// linkers write them (built here field by field), in both byte orders, and
// cut or scribbled on: fewer functions or an error, never a read outside.
#include "agent/profile/go_pclntab.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent/profile/elf_symbols.h"

namespace loupe::profile {
namespace {

struct Fn {
  uint64_t entry;  // relative to runtime.text for 1.18+, absolute for 1.16
  std::string name;
};

// A pclntab: pcHeader, function names, functab, _func records.
class TableBuilder {
 public:
  TableBuilder(uint32_t magic, bool big_endian) : magic_(magic), big_endian_(big_endian) {}

  std::string build(const std::vector<Fn>& fns, uint64_t end) {
    bool go118 = magic_ != 0xfffffffa;
    unsigned words = go118 ? 8 : 7;
    unsigned field = go118 ? 4 : 8;
    std::string names;
    std::vector<uint32_t> name_offsets;
    for (const Fn& f : fns) {
      name_offsets.push_back(static_cast<uint32_t>(names.size()));
      names += f.name + '\0';
    }
    uint64_t names_at = 8 + 8 * words;
    uint64_t functab_at = names_at + names.size();
    uint64_t funcs_at = (2 * fns.size() + 1) * field;  // _func records, after functab
    out_.clear();
    put(magic_, 4);
    out_ += std::string("\0\0\1\x08", 4);  // pads, quantum 1, pointer size 8
    put(fns.size(), 8);                    // nfunc
    put(0, 8);                             // nfiles
    if (go118) put(0x401000, 8);           // textStart (may be unrelocated: unused)
    put(names_at, 8);                      // funcnameOffset
    put(0, 8);                             // cuOffset
    put(0, 8);                             // filetabOffset
    put(0, 8);                             // pctabOffset
    put(functab_at, 8);                    // pclnOffset: functab
    out_ += names;
    for (size_t i = 0; i < fns.size(); ++i) {
      put(fns[i].entry, field);
      put(funcs_at + i * (field + 4), field);
    }
    put(end, field);
    for (size_t i = 0; i < fns.size(); ++i) {
      put(fns[i].entry, field);  // entry(Off)
      put(name_offsets[i], 4);   // nameOff
    }
    return out_;
  }

 private:
  void put(uint64_t v, unsigned size) {
    for (unsigned i = 0; i < size; ++i)
      out_ += static_cast<char>(v >> 8 * (big_endian_ ? size - 1 - i : i));
  }
  uint32_t magic_;
  bool big_endian_;
  std::string out_;
};

const std::vector<Fn> kFns = {{0x0, "runtime.text"}, {0x40, "main.hot"}, {0x90, "main.main"}};

TEST(GoPclntab, Go118TableEntriesAreRelativeToText) {
  for (uint32_t magic : {0xfffffff0u, 0xfffffff1u})
    for (bool big_endian : {false, true}) {
      std::string table = TableBuilder(magic, big_endian).build(kFns, 0x100);
      std::string error;
      auto fns = read_go_pclntab(table, 0x10000, &error);
      ASSERT_EQ(fns.size(), 3u) << error;
      EXPECT_EQ(fns[1].name, "main.hot");
      EXPECT_EQ(fns[1].entry, 0x10040u);
      EXPECT_EQ(fns[1].end, 0x10090u);
      EXPECT_EQ(fns[2].name, "main.main");
      EXPECT_EQ(fns[2].end, 0x10100u);  // the table's end entry
    }
}

TEST(GoPclntab, Go116TableEntriesAreAbsolute) {
  std::vector<Fn> absolute;
  for (const Fn& f : kFns) absolute.push_back({0x401000 + f.entry, f.name});
  std::string table = TableBuilder(0xfffffffa, false).build(absolute, 0x401100);
  std::string error;
  auto fns = read_go_pclntab(table, 0x999999, &error);  // .text does not matter
  ASSERT_EQ(fns.size(), 3u) << error;
  EXPECT_EQ(fns[1].name, "main.hot");
  EXPECT_EQ(fns[1].entry, 0x401040u);
}

TEST(GoPclntab, OtherTablesAreRefused) {
  std::string error;
  EXPECT_TRUE(read_go_pclntab("", 0, &error).empty());
  EXPECT_FALSE(error.empty());
  std::string go12 = TableBuilder(0xfffffffb, false).build(kFns, 0x100);  // Go 1.2 to 1.15
  EXPECT_TRUE(read_go_pclntab(go12, 0, &error).empty());
  EXPECT_NE(error.find("before 1.16"), std::string::npos);
}

TEST(GoPclntab, CutOrScribbledTablesStayInside) {
  std::string table = TableBuilder(0xfffffff1, false).build(kFns, 0x100);
  for (size_t n = 0; n < table.size(); ++n) {
    std::string cut = table.substr(0, n);
    std::string error;
    for (const GoFunction& f : read_go_pclntab(cut, 0x10000, &error)) {
      EXPECT_GE(f.name.data(), cut.data());
      EXPECT_LE(f.name.data() + f.name.size(), cut.data() + cut.size());
    }
  }
  // Every byte in turn set to 0xff: huge counts and offsets.
  for (size_t i = 8; i < table.size(); ++i) {
    std::string bad = table;
    bad[i] = '\xff';
    std::string error;
    auto fns = read_go_pclntab(bad, 0x10000, &error);
    EXPECT_LE(fns.size(), 3u);
    for (const GoFunction& f : fns) EXPECT_LT(f.entry, f.end);
  }
}

}  // namespace
}  // namespace loupe::profile

namespace loupe::profile {
namespace {

// A real Go binary (Debian's golang-go, when installed), with and without
// -ldflags=-s -w, and position-independent: all name their functions from
// .gopclntab, the same way.
TEST(GoBinary, NamedFromItsFunctionTableStrippedOrNot) {
  if (std::system("command -v go >/dev/null 2>&1") != 0) GTEST_SKIP() << "no go compiler";
  char dir_template[] = "/tmp/loupe-gobinary-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::ofstream(dir + "/main.go") << "package main\n\n//go:noinline\nfunc hotLoop(n int) int {\n"
                                     "\tx := 0\n\tfor i := 0; i < n; i++ {\n\t\tx += i % 7\n\t}\n"
                                     "\treturn x\n}\n\nfunc main() { println(hotLoop(1000)) }\n";
  // One build cache for every run: a PIE build compiles the standard
  // library (Debian ships it precompiled for the default mode only).
  std::string go = "cd " + dir + " && GOCACHE=/tmp/loupe-unit-gocache GOPATH=" + dir +
                   "/gopath GO111MODULE=off GOFLAGS= go build ";
  ASSERT_EQ(std::system((go + "-o full main.go").c_str()), 0);
  ASSERT_EQ(std::system((go + "-ldflags='-s -w' -o stripped main.go").c_str()), 0);
  // Position-independent: the table is in .data.rel.ro.gopclntab.
  ASSERT_EQ(std::system((go + "-buildmode=pie -ldflags='-s -w' -o pie main.go").c_str()), 0);
  // main.hotLoop's address, from the full binary's .symtab (non-PIE: the
  // file offset is the address less the text segment's 0x400000).
  uint64_t addr = 0;
  FILE* nm = popen(("nm " + dir + "/full").c_str(), "r");
  char line[512];
  while (nm && fgets(line, sizeof line, nm))
    if (std::string_view(line).ends_with(" main.hotLoop\n")) addr = std::stoull(line, nullptr, 16);
  if (nm) pclose(nm);
  ASSERT_NE(addr, 0u);
  std::string error;
  auto load = [&](const std::string& name) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return ElfSymbols::load(std::string_view(bytes.str()), &error);
  };
  auto full = load("full");
  auto stripped = load("stripped");
  auto pie = load("pie");
  ASSERT_TRUE(full && stripped && pie) << error;
  EXPECT_TRUE(pie->has_go_functions());
  EXPECT_EQ(pie->size(), stripped->size());
  EXPECT_TRUE(stripped->has_go_functions());
  EXPECT_FALSE(stripped->wants_debug_file());
  EXPECT_EQ(stripped->lookup(addr - 0x400000 + 8), "main.hotLoop");
  EXPECT_EQ(full->lookup(addr - 0x400000 + 8), "main.hotLoop");
  // Every Go function once: .symtab's copies of the same names are not kept.
  EXPECT_LT(full->bytes(), stripped->bytes() * 5 / 4)
      << full->bytes() << " vs " << stripped->bytes();
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace loupe::profile
