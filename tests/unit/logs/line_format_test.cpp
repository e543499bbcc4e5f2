#include "logs/line_format.h"

#include <gtest/gtest.h>

namespace loupe::logs {
namespace {

constexpr uint64_t kT = 1796043999ULL * 1'000'000'000ULL;  // 2026-11-30T13:06:39Z

TEST(LineFormat, CriFullLine) {
  DecodedLine d = decode_line("2026-11-30T13:06:39.123456789Z stdout F GET /users 200");
  EXPECT_EQ(d.format, Format::Cri);
  EXPECT_EQ(d.stream, Stream::Stdout);
  EXPECT_FALSE(d.partial);
  EXPECT_EQ(d.text, "GET /users 200");
  EXPECT_EQ(d.time_ns, kT + 123456789);
}

TEST(LineFormat, CriPartialStderrWithOffset) {
  DecodedLine d = decode_line("2026-11-30T14:06:39+01:00 stderr P first half ");
  EXPECT_EQ(d.format, Format::Cri);
  EXPECT_EQ(d.stream, Stream::Stderr);
  EXPECT_TRUE(d.partial);
  EXPECT_EQ(d.text, "first half ");
  EXPECT_EQ(d.time_ns, kT);
}

TEST(LineFormat, CriEmptyText) {
  DecodedLine d = decode_line("2026-11-30T13:06:39Z stdout F");
  EXPECT_EQ(d.format, Format::Cri);
  EXPECT_EQ(d.text, "");
}

TEST(LineFormat, DockerJsonFile) {
  DecodedLine d = decode_line(
      R"({"log":"listening on :8080\n","stream":"stderr","time":"2026-11-30T13:06:39.5Z"})");
  EXPECT_EQ(d.format, Format::Docker);
  EXPECT_EQ(d.stream, Stream::Stderr);
  EXPECT_FALSE(d.partial);
  EXPECT_EQ(d.text, "listening on :8080");
  EXPECT_EQ(d.time_ns, kT + 500'000'000);
}

TEST(LineFormat, DockerPieceWithoutNewlineIsPartial) {
  DecodedLine d =
      decode_line(R"({"log":"a 16k piece","stream":"stdout","time":"2026-11-30T13:06:39Z"})");
  EXPECT_EQ(d.format, Format::Docker);
  EXPECT_TRUE(d.partial);
  EXPECT_EQ(d.text, "a 16k piece");
}

TEST(LineFormat, AnythingElseIsPlain) {
  for (std::string_view line :
       {"plain text", "2026-11-30T13:06:39Z stdout X text", "2026-11-30 stdout F x",
        "2026-11-30T13:06:39Z stdin F x", R"({"msg":"json without log"})", "{broken",
        "not-a-timeZ stdout F x"}) {
    DecodedLine d = decode_line(line);
    EXPECT_EQ(d.format, Format::Plain) << line;
    EXPECT_EQ(d.text, line);
    EXPECT_EQ(d.time_ns, 0u);
  }
}

TEST(LineFormat, PlainDropsCarriageReturn) {
  EXPECT_EQ(decode_line("dos line\r").text, "dos line");
}

}  // namespace
}  // namespace loupe::logs
