// TLS plumbing without BPF: library discovery helpers, ELF symbol lookup,
// TLS record recognition, and how the connection tracker switches a
// connection to the plaintext the SSL uprobes deliver.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "../../support/foreign_uprobe.h"
#include "agent/connection_tracker.h"
#include "agent/tls/elf_symbols.h"
#include "agent/tls/ssl_discovery.h"
#include "agent/tls/tls_record.h"

namespace loupe {
namespace {

TEST(TlsDiscovery, LibsslNames) {
  EXPECT_TRUE(tls::is_libssl_name("/usr/lib/x86_64-linux-gnu/libssl.so.3"));
  EXPECT_TRUE(tls::is_libssl_name("/opt/app/lib/libssl.so.1.1"));
  EXPECT_TRUE(tls::is_libssl_name("libssl.so"));
  EXPECT_FALSE(tls::is_libssl_name("/usr/lib/x86_64-linux-gnu/libssl3.so"));  // NSS
  EXPECT_FALSE(tls::is_libssl_name("/usr/lib/libcrypto.so.3"));
  EXPECT_FALSE(tls::is_libssl_name("/home/libssl.so.3/other.so"));
}

TEST(TlsDiscovery, MapsParsing) {
  const char* maps =
      "55d0c0a00000-55d0c0a10000 r-xp 00000000 fe:01 123 /usr/sbin/nginx\n"
      "7f0000000000-7f0000010000 r--p 00000000 fe:01 456 /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
      "7f0000010000-7f0000020000 r-xp 00010000 fe:01 456 /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
      "7f0000030000-7f0000040000 r-xp 00000000 00:00 0 \n"
      "7f0000050000-7f0000060000 r-xp 00000000 fe:01 789 /tmp/old/libssl.so.1.1 (deleted)\n"
      "7f0000070000-7f0000080000 r-xp 00000000 fe:01 790 /app/my lib/libssl.so.1.1\n"
      "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";
  std::vector<std::string> paths = tls::libssl_paths_in_maps(maps);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0], "/usr/lib/x86_64-linux-gnu/libssl.so.3");
  EXPECT_EQ(paths[1], "/app/my lib/libssl.so.1.1");
}

TEST(TlsDiscovery, ExecutableMemoryFromStatus) {
  const char* status =
      "Name:\tnginx\nVmPeak:\t   12000 kB\nVmExe:\t     1200 kB\nVmLib:\t    8500 kB\n"
      "VmPTE:\t      60 kB\n";
  EXPECT_EQ(tls::executable_kb_in_status(status), 9700u);
  // A kernel thread has neither line.
  EXPECT_EQ(tls::executable_kb_in_status("Name:\tkthreadd\nThreads:\t1\n"), std::nullopt);
  EXPECT_EQ(tls::executable_kb_in_status("VmExe:\t x kB\nVmLib:\t 1 kB\n"), std::nullopt);
  // This process maps code: the value read from /proc is not empty.
  auto self = tls::executable_kb("/proc", static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(self.has_value());
  EXPECT_GT(*self, 0u);
}

TEST(TlsDiscovery, ScanReadsOnlyTheProcessesItIsToldTo) {
  const uint32_t self = static_cast<uint32_t>(getpid());
  std::vector<uint32_t> asked;
  auto none = tls::scan_processes("/proc", 0, [&](uint32_t pid, const tls::FileId&) {
    asked.push_back(pid);
    return false;
  });
  EXPECT_TRUE(none.empty());  // declined: not even the executable
  EXPECT_NE(std::find(asked.begin(), asked.end(), self), asked.end());
  auto mine = tls::scan_processes("/proc", 0,
                                  [&](uint32_t pid, const tls::FileId&) { return pid == self; });
  ASSERT_FALSE(mine.empty());
  EXPECT_TRUE(mine[0].executable);
  EXPECT_EQ(mine[0].pid, self);
  EXPECT_FALSE(mine[0].path.empty());
  for (const tls::SslCandidate& c : mine) EXPECT_EQ(c.pid, self);
}

// What a rescan does for each process that ran exec: no walk of /proc.
TEST(TlsDiscovery, ScanProcessReadsOneProcess) {
  const uint32_t self = static_cast<uint32_t>(getpid());
  std::vector<tls::SslCandidate> found;
  ASSERT_TRUE(tls::scan_process("/proc", self, nullptr, found));
  ASSERT_FALSE(found.empty());
  EXPECT_TRUE(found[0].executable);
  EXPECT_EQ(found[0].path, std::filesystem::read_symlink("/proc/self/exe").string());
  for (const tls::SslCandidate& c : found) EXPECT_EQ(c.pid, self);
  // Past the largest pid_max (2^22): no such process, nothing added.
  EXPECT_FALSE(tls::scan_process("/proc", (1u << 22) + 1, nullptr, found));
  // Declined: the process is there, nothing of it is read.
  const size_t before = found.size();
  EXPECT_TRUE(tls::scan_process(
      "/proc", self, [](uint32_t, const tls::FileId&) { return false; }, found));
  EXPECT_EQ(found.size(), before);
}

TEST(TlsRecord, RecognisesRecordHeaders) {
  EXPECT_TRUE(tls::looks_like_tls_record(std::string_view("\x16\x03\x01\x02\x00", 5)));
  EXPECT_TRUE(tls::looks_like_tls_record(std::string_view("\x17\x03\x03", 3)));
  EXPECT_FALSE(tls::looks_like_tls_record("GET / HTTP/1.1\r\n"));
  EXPECT_FALSE(tls::looks_like_tls_record(std::string_view("\x16\x03", 2)));
  EXPECT_FALSE(tls::looks_like_tls_record(std::string_view("\x16\x02\x00", 3)));
}

// The host's OpenSSL 3 library, "" when there is none.
std::string system_libssl() {
  for (const char* p : {"/usr/lib/x86_64-linux-gnu/libssl.so.3",
                        "/usr/lib/aarch64-linux-gnu/libssl.so.3", "/usr/lib64/libssl.so.3"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

TEST(ElfSymbols, FindsOpenSslInSystemLibssl) {
  std::string lib = system_libssl();
  if (lib.empty()) GTEST_SKIP() << "no libssl.so.3 here";
  tls::ElfSymbols s = tls::find_elf_functions(lib, {"SSL_read", "SSL_write_ex", "no_such_fn"});
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_TRUE(s.defined[0]);
  EXPECT_TRUE(s.defined[1]);
  EXPECT_FALSE(s.defined[2]);
}

// Another tracer's uprobe on SSL_write's entry puts int3 there in any
// private mapping of the library; the code Loupe reads (and chooses its
// probe site from, probe_site.h) is still the file's. On a copy, so that
// the host's processes are not probed.
TEST(ElfSymbols, CodeIsTheFilesUnderAnotherTracersProbe) {
  std::string lib = system_libssl();
  if (lib.empty()) GTEST_SKIP() << "no libssl.so.3 here";
  std::string copy =
      std::filesystem::temp_directory_path() / ("loupe-libssl-" + std::to_string(getpid()) + ".so");
  std::filesystem::copy_file(lib, copy, std::filesystem::copy_options::overwrite_existing);
  tls::ElfSymbols clean = tls::find_elf_functions(copy, {"SSL_write"});
  ASSERT_TRUE(clean.ok && !clean.code[0].empty()) << clean.error;
  std::ifstream in(copy, std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t at = image.find(clean.code[0]);
  ASSERT_NE(at, std::string::npos);
  tls::ElfSymbols probed;
  bool probe_ok = false;
  {
    loupe::testing::ForeignUprobe probe(copy, at);
    probe_ok = probe.ok();
    if (probe_ok) probed = tls::find_elf_functions(copy, {"SSL_write"});
  }
  std::filesystem::remove(copy);
  if (!probe_ok) GTEST_SKIP() << "cannot register a uprobe here (root needed)";
  ASSERT_TRUE(probed.ok) << probed.error;
  EXPECT_EQ(probed.code[0], clean.code[0]);
}

TEST(ElfSymbols, ReportsNonElf) {
  tls::ElfSymbols s = tls::find_elf_functions("/proc/self/status", {"SSL_read"});
  EXPECT_FALSE(s.ok);
  EXPECT_FALSE(tls::find_elf_functions("/nonexistent/libssl.so", {"SSL_read"}).ok);
}

// Builds raw ring-buffer events as the BPF side writes them.
class TrackerTls : public ::testing::Test {
 protected:
  std::vector<Record> records;
  ConnectionTracker tracker{
      {}, [this](std::span<Record> r) { records.insert(records.end(), r.begin(), r.end()); }};
  uint64_t ts = 1'000'000'000;

  void open(uint8_t origin = LOUPE_ORIGIN_ACCEPT) {
    loupe_open_event ev{};
    ev.h.type = LOUPE_EV_OPEN;
    ev.h.origin = origin;
    ev.h.sock_type = 1;
    ev.h.tgid = 4242;
    ev.h.fd = 7;
    ev.h.gen = 1;
    ev.h.ts_ns = ts;
    ev.local = {2, 443, {127, 0, 0, 1}};
    ev.remote = {2, 50000, {127, 0, 0, 1}};
    tracker.on_event({reinterpret_cast<const uint8_t*>(&ev), sizeof ev});
  }
  void data(uint8_t dir, std::string_view bytes, bool tls) {
    std::vector<uint8_t> raw(sizeof(loupe_data_event) + bytes.size());
    loupe_data_event ev{};
    ev.h.type = LOUPE_EV_DATA;
    ev.h.dir = dir;
    ev.h.sock_type = 1;
    ev.h.tgid = 4242;
    ev.h.fd = 7;
    ev.h.gen = 1;
    ev.h.ts_ns = ts += 1000;
    ev.length = bytes.size();
    ev.captured = static_cast<uint32_t>(bytes.size());
    ev.flags = tls ? LOUPE_DATA_F_TLS : 0;
    std::memcpy(raw.data(), &ev, sizeof ev);
    std::memcpy(raw.data() + sizeof ev, bytes.data(), bytes.size());
    tracker.on_event(raw);
  }
};

const std::string_view kClientHello("\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03", 11);

TEST_F(TrackerTls, PeekedClientHelloThenPlaintextGivesTlsRecord) {
  open();
  data(LOUPE_DIR_INGRESS, kClientHello, false);  // nginx's MSG_PEEK before the handshake
  EXPECT_EQ(tracker.stats().tls_opaque_connections, 1u);
  data(LOUPE_DIR_INGRESS, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", true);
  data(LOUPE_DIR_EGRESS, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].tls);
  EXPECT_EQ(records[0].protocol, Protocol::Http1);
  EXPECT_EQ(records[0].path, "/a");
  EXPECT_EQ(tracker.stats().tls_connections, 1u);
  EXPECT_EQ(tracker.stats().tls_opaque_connections, 0u);
  EXPECT_EQ(tracker.stats().lost.total.undetected, 0u);
}

TEST_F(TrackerTls, CiphertextAfterPlaintextIsIgnored) {
  open();
  data(LOUPE_DIR_INGRESS, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n", true);
  data(LOUPE_DIR_INGRESS, std::string_view("\x17\x03\x03\x00\x10garbage", 12), false);
  data(LOUPE_DIR_EGRESS, "HTTP/1.1 204 No Content\r\n\r\n", true);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 204);
  EXPECT_TRUE(records[0].tls);
}

TEST_F(TrackerTls, UnprobedTlsIsOpaqueNotUndetected) {
  open();
  data(LOUPE_DIR_INGRESS, kClientHello, false);
  for (int i = 0; i < 6; ++i)
    data(LOUPE_DIR_INGRESS, std::string_view("\x17\x03\x03\x00\x05hello", 10), false);
  EXPECT_TRUE(records.empty());
  EXPECT_EQ(tracker.stats().tls_opaque_connections, 1u);
  EXPECT_EQ(tracker.stats().lost.total.undetected, 0u);
}

TEST_F(TrackerTls, PlaintextConnectionsAreNotTls) {
  open();
  data(LOUPE_DIR_INGRESS, "GET /c HTTP/1.1\r\nHost: x\r\n\r\n", false);
  data(LOUPE_DIR_EGRESS, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].tls);
}

}  // namespace
}  // namespace loupe
