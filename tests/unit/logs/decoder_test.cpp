#include "logs/decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loupe::logs {
namespace {

constexpr uint64_t kNow = 1'800'000'000'000'000'000ULL;

// Feeds `text` as a file: lines split at '\n' with their real offsets; then
// flushes everything as if the file ended.
std::vector<Entry> decode_file(std::string_view text, DecoderStats* stats = nullptr) {
  Decoder d;
  std::vector<Entry> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    d.feed(text.substr(at, nl - at), at, kNow, out);
    at = nl + 1;
  }
  d.finish(out);
  if (stats) *stats = d.stats();
  return out;
}

TEST(Decoder, CriPartialsAreJoined) {
  std::string file =
      "2026-11-30T13:06:39.000000001Z stdout P hello \n"
      "2026-11-30T13:06:39.000000002Z stderr F unrelated error\n"
      "2026-11-30T13:06:39.000000003Z stdout P big \n"
      "2026-11-30T13:06:39.000000004Z stdout F world\n";
  auto entries = decode_file(file);
  ASSERT_EQ(entries.size(), 2u);  // in file order
  EXPECT_EQ(entries[0].text, "hello big world");
  EXPECT_EQ(entries[0].stream, Stream::Stdout);
  EXPECT_EQ(entries[0].offset, 0u);  // the first piece's offset names the entry
  EXPECT_EQ(entries[0].time_ns % 1000, 1u);
  EXPECT_FALSE(entries[0].truncated);
  EXPECT_EQ(entries[1].text, "unrelated error");
  EXPECT_EQ(entries[1].stream, Stream::Stderr);
  EXPECT_EQ(entries[1].level, Level::Error);
}

TEST(Decoder, JoinedPartialsAreCappedAndCounted) {
  Decoder d;
  std::vector<Entry> out;
  std::string piece = "2026-11-30T13:06:39Z stdout P " + std::string(16 * 1024, 'a');
  uint64_t offset = 0;
  for (int i = 0; i < 10; ++i, offset += piece.size() + 1) d.feed(piece, offset, kNow, out);
  d.feed("2026-11-30T13:06:39Z stdout F end", offset, kNow, out);
  d.finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text.size(), kMaxEntryBytes);
  EXPECT_TRUE(out[0].truncated);
  EXPECT_EQ(d.stats().truncated, 1u);
}

TEST(Decoder, JavaStackTraceIsOneEntry) {
  std::string file =
      "2026-11-30 13:06:39,001 ERROR [http-nio-8080-exec-1] c.e.OrderController - order failed\n"
      "java.lang.IllegalStateException: stock is negative\n"
      "\tat com.example.Stock.take(Stock.java:42)\n"
      "\tat com.example.OrderController.place(OrderController.java:17)\n"
      "Caused by: java.sql.SQLException: deadlock\n"
      "\tat org.postgresql.Driver.execute(Driver.java:99)\n"
      "\t... 12 more\n"
      "2026-11-30 13:06:39,002 INFO  [main] c.e.App - next request\n";
  auto entries = decode_file(file);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].level, Level::Error);
  EXPECT_TRUE(entries[0].text.starts_with("2026-11-30 13:06:39,001 ERROR"));
  EXPECT_TRUE(entries[0].text.ends_with("\t... 12 more"));
  EXPECT_NE(entries[0].text.find("Caused by: java.sql.SQLException"), std::string::npos);
  EXPECT_EQ(entries[1].level, Level::Info);
  EXPECT_EQ(entries[1].offset, file.find("2026-11-30 13:06:39,002"));
}

TEST(Decoder, PythonTracebackIsOneEntryWithItsClosingLine) {
  std::string file =
      "ERROR:root:handler failed\n"
      "Traceback (most recent call last):\n"
      "  File \"/app/main.py\", line 10, in handle\n"
      "    return items[key]\n"
      "KeyError: 'user'\n"
      "\n"
      "During handling of the above exception, another exception occurred:\n"
      "\n"
      "Traceback (most recent call last):\n"
      "  File \"/app/main.py\", line 12, in handle\n"
      "ValueError: bad request\n"
      "INFO:root:next\n";
  auto entries = decode_file(file);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].text.starts_with("ERROR:root:handler failed\nTraceback"));
  EXPECT_TRUE(entries[0].text.ends_with("ValueError: bad request"));
  EXPECT_NE(entries[0].text.find("KeyError: 'user'\n\nDuring handling"), std::string::npos);
  EXPECT_EQ(entries[1].text, "INFO:root:next");
}

TEST(Decoder, GoPanicIsOneEntry) {
  std::string file =
      "panic: runtime error: index out of range [3] with length 3\n"
      "\n"
      "goroutine 1 [running]:\n"
      "main.handler(0xc000012345, {0x1, 0x2})\n"
      "\t/src/main.go:12 +0x1d\n"
      "created by main.main in goroutine 1\n"
      "\t/src/main.go:20 +0x25\n"
      "exit status 2\n";
  auto entries = decode_file(file);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].text.starts_with("panic: runtime error"));
  EXPECT_TRUE(entries[0].text.ends_with("\t/src/main.go:20 +0x25"));
  EXPECT_EQ(entries[1].text, "exit status 2");
}

TEST(Decoder, IndentedLinesContinueAndBlankLinesAreSkipped) {
  auto entries = decode_file("config:\n  port: 80\n  host: x\n\nnext\n\n\nlast\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].text, "config:\n  port: 80\n  host: x");
  EXPECT_EQ(entries[1].text, "next");
  EXPECT_EQ(entries[2].text, "last");
}

TEST(Decoder, StreamsJoinSeparately) {
  std::string file =
      "2026-11-30T13:06:39Z stderr F Traceback (most recent call last):\n"
      "2026-11-30T13:06:39Z stdout F GET / 200\n"
      "2026-11-30T13:06:39Z stderr F   File \"x.py\", line 1\n"
      "2026-11-30T13:06:39Z stderr F OSError: gone\n";
  auto entries = decode_file(file);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].text,
            "Traceback (most recent call last):\n  File \"x.py\", line 1\nOSError: gone");
  EXPECT_EQ(entries[1].text, "GET / 200");
}

TEST(Decoder, MultilineEntriesAreBoundedInBytesAndLines) {
  std::string file = "start\n";
  for (int i = 0; i < 5000; ++i)
    file += "\tat frame " + std::to_string(i) + std::string(100, 'x') + "\n";
  DecoderStats stats;
  auto entries = decode_file(file, &stats);
  ASSERT_GE(entries.size(), 5u);  // closed every kMaxLines lines
  for (const Entry& e : entries) EXPECT_LE(e.text.size(), kMaxEntryBytes);
  EXPECT_TRUE(entries[0].truncated);
  EXPECT_EQ(stats.lines, 5001u);
}

TEST(Decoder, PendingOffsetMarksWhereUnfinishedEntriesStart) {
  Decoder d;
  std::vector<Entry> out;
  EXPECT_FALSE(d.pending_offset());
  d.feed("first", 0, kNow, out);
  EXPECT_EQ(d.pending_offset(), 0u);  // could still be continued
  d.feed("  continued", 6, kNow, out);
  d.feed("second", 18, kNow, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(d.pending_offset(), 18u);
  d.feed("2026-11-30T13:06:39Z stdout P piece", 25, kNow, out);
  EXPECT_EQ(d.pending_offset(), 18u);
  d.flush_idle(kNow + Decoder::kIdleNs, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].text, "second");
  EXPECT_EQ(d.pending_offset(), 25u);  // the partial piece waits for its end
}

TEST(Decoder, IdleFlushWaitsForTheWriterToBeQuiet) {
  Decoder d;
  std::vector<Entry> out;
  d.feed("line", 0, kNow, out);
  d.flush_idle(kNow + Decoder::kIdleNs - 1, out);
  EXPECT_TRUE(out.empty());
  d.flush_idle(kNow + Decoder::kIdleNs, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].time_ns, kNow);  // a plain line's time is when it was read
}

TEST(Decoder, InvalidUtf8IsReplacedAndCounted) {
  DecoderStats stats;
  auto entries = decode_file("bad \xff\xfe bytes\nok\n", &stats);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].text, "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
  EXPECT_EQ(stats.invalid_utf8, 1u);
}

TEST(Decoder, CutLinesAreMarkedTruncated) {
  Decoder d;
  std::vector<Entry> out;
  d.feed(std::string(100, 'x'), 0, kNow, out, /*cut=*/true);
  d.finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].truncated);
  EXPECT_EQ(d.stats().truncated, 1u);
}

TEST(Decoder, UnfinishedPartialIsKeptAtFinish) {
  Decoder d;
  std::vector<Entry> out;
  d.feed("2026-11-30T13:06:39Z stdout P died mid-", 0, kNow, out);
  d.finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, "died mid-");
  EXPECT_TRUE(out[0].truncated);
  EXPECT_EQ(d.stats().partial_dropped, 1u);
}

}  // namespace
}  // namespace loupe::logs
