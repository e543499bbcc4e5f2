// Where the entry-only SSL_write probes sit (agent/tls/probe_site.h), and the
// function bytes the ELF reader hands it.
#include "agent/tls/probe_site.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "agent/tls/elf_symbols.h"

extern "C" __attribute__((noinline, used)) int loupe_probe_site_test_function(int x) {
  return x * 3 + 1;
}

namespace loupe::tls {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s.push_back(static_cast<char>(v));
  return s;
}

TEST(ProbeSite, OpenSslWritePrologueIsProbedAtItsFirstConditionalJump) {
  // OpenSSL 3's SSL_write: sub $0x18,%rsp; mov %fs:0x28,%rax;
  // mov %rax,0x8(%rsp); xor %eax,%eax; test %edx,%edx; js +1; nop;
  // add $0x18,%rsp; ret
  std::string code = bytes({0x48, 0x83, 0xec, 0x18, 0x64, 0x48, 0x8b, 0x04, 0x25, 0x28,
                            0x00, 0x00, 0x00, 0x48, 0x89, 0x44, 0x24, 0x08, 0x31, 0xc0,
                            0x85, 0xd2, 0x78, 0x01, 0x90, 0x48, 0x83, 0xc4, 0x18, 0xc3});
  EXPECT_EQ(emulated_entry_offset(code, EM_X86_64), 22u);
}

TEST(ProbeSite, OpenSslWriteExPrologueIsProbedAtItsCall) {
  // SSL_write_ex: sub $0x8,%rsp; call +0; add $0x8,%rsp; ret
  std::string code =
      bytes({0x48, 0x83, 0xec, 0x08, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x48, 0x83, 0xc4, 0x08, 0xc3});
  EXPECT_EQ(emulated_entry_offset(code, EM_X86_64), 4u);
}

TEST(ProbeSite, EntryWhenTheSiteIsNotEquivalentToIt) {
  // An argument register written first (mov %rsp,%rcx), then a jcc.
  EXPECT_EQ(emulated_entry_offset(
                bytes({0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0xe1, 0x78, 0x00, 0xc3}), EM_X86_64),
            0u);
  // A jump back into the stretch before the site: it would be hit twice.
  // sub $0x18,%rsp; test %edx,%edx; js +2; jmp -6 (to the test); ret
  EXPECT_EQ(
      emulated_entry_offset(
          bytes({0x48, 0x83, 0xec, 0x18, 0x85, 0xd2, 0x78, 0x02, 0xeb, 0xfa, 0xc3}), EM_X86_64),
      0u);
  // A control transfer the kernel does not emulate comes first (ret).
  EXPECT_EQ(emulated_entry_offset(bytes({0x48, 0x83, 0xec, 0x18, 0xc3, 0x78, 0x00}), EM_X86_64),
            0u);
  // Already emulated at the entry (push %rbx).
  EXPECT_EQ(emulated_entry_offset(bytes({0x53, 0x78, 0x00, 0x5b, 0xc3}), EM_X86_64), 0u);
  // Bytes that do not decode as a whole, no code, another machine.
  EXPECT_EQ(emulated_entry_offset(bytes({0x48, 0x83, 0xec, 0x18, 0x78, 0x00, 0x06}), EM_X86_64),
            0u);
  EXPECT_EQ(emulated_entry_offset("", EM_X86_64), 0u);
  EXPECT_EQ(emulated_entry_offset(bytes({0x48, 0x83, 0xec, 0x18, 0x78, 0x00, 0xc3}), EM_AARCH64),
            0u);
}

TEST(ProbeSite, ElfReaderReturnsAFunctionsBytes) {
  ElfSymbols s =
      find_elf_functions("/proc/self/exe", {"loupe_probe_site_test_function", "no_such_function"});
  ASSERT_TRUE(s.ok) << s.error;
  ASSERT_TRUE(s.defined[0]);
  EXPECT_FALSE(s.defined[1]);
  EXPECT_EQ(s.code[1], "");
  ASSERT_FALSE(s.code[0].empty());
  // The file's bytes are the ones this process runs (.text is not relocated).
  const void* running = reinterpret_cast<const void*>(&loupe_probe_site_test_function);
  EXPECT_EQ(std::memcmp(s.code[0].data(), running, s.code[0].size()), 0);
#if defined(__x86_64__)
  EXPECT_EQ(s.machine, EM_X86_64);
#endif
}

}  // namespace
}  // namespace loupe::tls
