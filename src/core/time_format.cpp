#include "core/time_format.h"

#include <charconv>
#include <chrono>
#include <cstring>

#include "core/decimal_digits.h"

namespace loupe {

namespace {

// Two decimal digits of v (< 100) at p.
char* put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// The 9 digits of `nanos` (< 10^9) and the 'Z' after them at p.
void write_fraction(char* p, uint32_t nanos) {
  p[0] = static_cast<char>('0' + nanos / 100'000'000);
  const uint64_t rest = digits8(nanos % 100'000'000) + kAsciiZeros;
  std::memcpy(p + 1, &rest, 8);
  p[9] = 'Z';
}

}  // namespace

void write_rfc3339_ns(char* out, uint64_t unix_ns) {
  // The civil date by std::chrono's arithmetic, not gmtime_r and snprintf:
  // `loupe trace -o json` writes one per record, and those two took 3,900
  // instructions of a record's 16,200. A uint64_t of ns ends in 2554, so
  // the year always has four digits, as "%04d" wrote it.
  using namespace std::chrono;
  const uint64_t secs = unix_ns / 1'000'000'000ULL;
  const auto nanos = static_cast<uint32_t>(unix_ns % 1'000'000'000ULL);
  const auto day_secs = static_cast<unsigned>(secs % 86'400);
  const year_month_day date{sys_days{days{static_cast<days::rep>(secs / 86'400)}}};
  const auto year = static_cast<unsigned>(static_cast<int>(date.year()));
  char* p = put2(out, year / 100);
  p = put2(p, year % 100);
  *p++ = '-';
  p = put2(p, static_cast<unsigned>(date.month()));
  *p++ = '-';
  p = put2(p, static_cast<unsigned>(date.day()));
  *p++ = 'T';
  p = put2(p, day_secs / 3600);
  *p++ = ':';
  p = put2(p, day_secs / 60 % 60);
  *p++ = ':';
  p = put2(p, day_secs % 60);
  *p++ = '.';
  write_fraction(p, nanos);
}

void Rfc3339Memo::write(char* out, uint64_t unix_ns) {
  const uint64_t secs = unix_ns / 1'000'000'000ULL;
  if (secs != secs_) {
    write_rfc3339_ns(out, unix_ns);
    std::memcpy(head_, out, sizeof head_);
    secs_ = secs;
    return;
  }
  std::memcpy(out, head_, sizeof head_);
  write_fraction(out + sizeof head_, static_cast<uint32_t>(unix_ns % 1'000'000'000ULL));
}

std::string format_rfc3339_ns(uint64_t unix_ns) {
  std::string s(kRfc3339NsSize, '\0');
  write_rfc3339_ns(s.data(), unix_ns);
  return s;
}

namespace {

bool read_int(std::string_view& s, size_t digits, int& out) {
  if (s.size() < digits) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  s.remove_prefix(digits);
  return true;
}

bool expect(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

std::optional<uint64_t> parse_rfc3339(std::string_view s) {
  int year, mon, day, hour, min, sec;
  if (!read_int(s, 4, year) || !expect(s, '-') || !read_int(s, 2, mon) || !expect(s, '-') ||
      !read_int(s, 2, day))
    return std::nullopt;
  if (s.empty() || (s.front() != 'T' && s.front() != 't' && s.front() != ' ')) return std::nullopt;
  s.remove_prefix(1);
  if (!read_int(s, 2, hour) || !expect(s, ':') || !read_int(s, 2, min) || !expect(s, ':') ||
      !read_int(s, 2, sec))
    return std::nullopt;
  uint64_t nanos = 0;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    int ndigits = 0;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      if (ndigits < 9) nanos = nanos * 10 + static_cast<uint64_t>(s.front() - '0'), ++ndigits;
      s.remove_prefix(1);
    }
    if (ndigits == 0) return std::nullopt;
    for (; ndigits < 9; ++ndigits) nanos *= 10;
  }
  int64_t offset_s = 0;
  if (s == "Z" || s == "z") {
    s.remove_prefix(1);
  } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    int sign = s.front() == '+' ? 1 : -1;
    s.remove_prefix(1);
    int oh, om;
    if (!read_int(s, 2, oh) || !expect(s, ':') || !read_int(s, 2, om)) return std::nullopt;
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (!s.empty() || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
    return std::nullopt;
  using namespace std::chrono;
  auto days = sys_days{year_month_day{std::chrono::year{year}, month{static_cast<unsigned>(mon)},
                                      std::chrono::day{static_cast<unsigned>(day)}}};
  int64_t secs = duration_cast<seconds>(days.time_since_epoch()).count() + hour * 3600 + min * 60 +
                 sec - offset_s;
  if (secs < 0) return std::nullopt;
  return static_cast<uint64_t>(secs) * 1'000'000'000ULL + nanos;
}

}  // namespace

std::optional<uint64_t> parse_time(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find('-') != std::string_view::npos && text.size() >= 20) return parse_rfc3339(text);
  // unix seconds, optionally fractional
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0 || v > 1e11)
    return std::nullopt;
  return static_cast<uint64_t>(v * 1e9);
}

std::optional<uint64_t> parse_duration(std::string_view text) {
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
  uint64_t mult;
  if (unit == "ns")
    mult = 1;
  else if (unit == "us")
    mult = 1'000;
  else if (unit == "ms")
    mult = 1'000'000;
  else if (unit == "s")
    mult = 1'000'000'000ULL;
  else if (unit == "m")
    mult = 60'000'000'000ULL;
  else if (unit == "h")
    mult = 3'600'000'000'000ULL;
  else if (unit == "d")
    mult = 86'400'000'000'000ULL;
  else
    return std::nullopt;
  if (n > UINT64_MAX / mult) return std::nullopt;
  return n * mult;
}

uint64_t now_unix_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace loupe
