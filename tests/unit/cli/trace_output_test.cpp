#include "cli/trace_output.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/record_text.h"
#include "core/record_json.h"

namespace loupe::cli {
namespace {

Record record(const char* comm, Protocol protocol, const char* path) {
  Record r;
  r.start_ns = 1'795'612'146'249'843'911ULL;
  r.end_ns = r.start_ns + 1'000;
  r.protocol = protocol;
  r.role = Role::Server;
  r.pid = 9;
  r.comm = comm;
  r.path = path;
  return r;
}

// What was written to `f` so far.
std::string written(std::FILE* f) {
  std::fflush(f);
  long n = std::ftell(f);
  std::string text(static_cast<size_t>(n), '\0');
  std::rewind(f);
  EXPECT_EQ(std::fread(text.data(), 1, text.size(), f), text.size());
  return text;
}

TEST(TraceOutput, JsonLinesOfTheWantedRecordsAsTheirBatchesCome) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  TraceOutput out(f, TraceOutput::Format::Json,
                  {.comms = {"nginx", "redis-server"}, .protocols = {"http1"}});
  std::vector<Record> first{record("nginx", Protocol::Http1, "/a"),
                            record("curl", Protocol::Http1, "/b"),
                            record("nginx", Protocol::Redis, "GET")};
  std::vector<Record> second{record("nginx", Protocol::Http1, "/c\n")};
  out.print(first);
  std::string expected;
  append_record_json(expected, first[0]);
  expected += '\n';
  // Flushed with its batch: a reader of the pipe sees it now.
  EXPECT_EQ(written(f), expected);
  std::fseek(f, 0, SEEK_END);
  out.print(second);
  append_record_json(expected, second[0]);
  expected += '\n';
  EXPECT_EQ(written(f), expected);
  EXPECT_EQ(out.printed(), 2u);
  std::fseek(f, 0, SEEK_END);
  out.print({});  // nothing wanted: nothing written
  EXPECT_EQ(written(f), expected);
  std::fclose(f);
}

// A batch is one write(2), whatever its size: through stdio's buffer a
// batch past 4 KiB was three. Each write on a SOCK_SEQPACKET socket is one
// packet, so the first read gets all of the batch or shows the split.
TEST(TraceOutput, ABatchIsOneWrite) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
  std::FILE* f = fdopen(fds[0], "w");
  ASSERT_NE(f, nullptr);
  TraceOutput out(f, TraceOutput::Format::Json, {});
  std::vector<Record> batch(20, record("nginx", Protocol::Http1, "/a"));
  for (size_t i = 0; i < batch.size(); ++i) batch[i].path = "/" + std::string(500, 'p');
  std::string expected;
  for (const Record& r : batch) {
    append_record_json(expected, r);
    expected += '\n';
  }
  ASSERT_GT(expected.size(), 8192u);
  out.print(batch);
  std::string got(2 * expected.size(), '\0');
  ssize_t n = recv(fds[1], got.data(), got.size(), MSG_DONTWAIT);
  ASSERT_GT(n, 0);
  EXPECT_EQ(static_cast<size_t>(n), expected.size());  // 4096 through stdio's buffer
  got.resize(static_cast<size_t>(n));
  EXPECT_TRUE(got == expected);
  std::fclose(f);
  close(fds[1]);
}

TEST(TraceOutput, TextLinesOfEveryRecordWithoutFilters) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  TraceOutput out(f, TraceOutput::Format::Text, {});
  std::vector<Record> batch{record("nginx", Protocol::Http1, "/a"),
                            record("redis-server", Protocol::Redis, "GET")};
  out.print(batch);
  EXPECT_EQ(written(f), format_record_text(batch[0]) + "\n" + format_record_text(batch[1]) + "\n");
  EXPECT_EQ(out.printed(), 2u);
  std::fclose(f);
}

}  // namespace
}  // namespace loupe::cli
