#include "core/time_format.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace loupe {
namespace {

// What format_rfc3339_ns wrote before it did its own arithmetic.
std::string by_libc(uint64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000ULL);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(unix_ns % 1'000'000'000ULL));
  return buf;
}

TEST(TimeFormat, Rfc3339AsGmtimeWroteIt) {
  EXPECT_EQ(format_rfc3339_ns(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_rfc3339_ns(1'795'612'146'249'843'911ULL), "2026-11-25T13:09:06.249843911Z");
  EXPECT_EQ(format_rfc3339_ns(UINT64_MAX), by_libc(UINT64_MAX));
  // Leap days, century and 400-year years, the ends of days and years.
  for (uint64_t day_start : {951'782'400ULL, 951'868'800ULL, 4'107'542'400ULL, 4'102'444'800ULL,
                             1'709'164'800ULL, 1'735'603'200ULL})
    for (uint64_t s : {day_start - 1, day_start, day_start + 86'399})
      EXPECT_EQ(format_rfc3339_ns(s * 1'000'000'000ULL + 999'999'999),
                by_libc(s * 1'000'000'000ULL + 999'999'999));
  std::mt19937_64 rng(14);
  for (int i = 0; i < 100'000; ++i) {
    uint64_t ns = rng();
    ASSERT_EQ(format_rfc3339_ns(ns), by_libc(ns)) << ns;
  }
}

TEST(TimeFormat, WritesItsSizeAndNoMore) {
  std::string out = "ts=..............................|";
  write_rfc3339_ns(out.data() + 3, 1'000'000'001ULL);
  EXPECT_EQ(out, "ts=1970-01-01T00:00:01.000000001Z|");
}

// The memo writes what write_rfc3339_ns writes whatever came before:
// times within one second, the next second, going back, far jumps.
TEST(TimeFormat, TheMemoWritesTheSameAsWithoutIt) {
  Rfc3339Memo memo;
  std::mt19937_64 rng(14);
  uint64_t ns = 1'795'612'146'249'843'911ULL;
  for (int i = 0; i < 200'000; ++i) {
    switch (rng() % 8) {
      case 0:
        ns = rng();
        break;
      case 1:
        ns -= rng() % 2'000'000'000ULL;
        break;
      case 2:
        ns = ns / 1'000'000'000ULL * 1'000'000'000ULL + 999'999'999;  // a second's last ns
        break;
      default:
        ns += rng() % 300'000'000ULL;
    }
    char with[kRfc3339NsSize + 1], without[kRfc3339NsSize + 1];
    with[kRfc3339NsSize] = without[kRfc3339NsSize] = '|';
    memo.write(with, ns);
    write_rfc3339_ns(without, ns);
    ASSERT_EQ(std::string(with, sizeof with), std::string(without, sizeof without)) << ns;
  }
  // A new memo, at the epoch and at the last ns there is.
  for (uint64_t t : {uint64_t{0}, UINT64_MAX, uint64_t{999'999'999}}) {
    Rfc3339Memo fresh;
    char with[kRfc3339NsSize];
    fresh.write(with, t);
    EXPECT_EQ(std::string(with, sizeof with), format_rfc3339_ns(t));
  }
}

}  // namespace
}  // namespace loupe
