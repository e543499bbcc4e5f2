#include "protocols/http1/start_line.h"

#include <array>

namespace loupe::http1 {
namespace {

constexpr std::array<std::string_view, 20> kMethods{
    "GET",     "POST",   "PUT",      "DELETE",    "HEAD",  "OPTIONS",   "PATCH",
    "CONNECT", "TRACE",  "PROPFIND", "PROPPATCH", "MKCOL", "COPY",      "MOVE",
    "LOCK",    "UNLOCK", "REPORT",   "SEARCH",    "PURGE", "MKCALENDAR"};
constexpr size_t kMaxMethodLen = 10;

constexpr std::string_view kVersionPrefix = "HTTP/1.";

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Characters allowed in a request target while scanning backwards during
// resync: visible ASCII except space.
bool is_target_char(char c) { return c > ' ' && c < 0x7f; }

// Length of the longest known method that `run` (all upper-case) ends with.
size_t known_method_suffix(std::string_view run) {
  size_t best = 0;
  for (auto m : kMethods)
    if (m.size() > best && run.size() >= m.size() && run.substr(run.size() - m.size()) == m)
      best = m.size();
  return best;
}

}  // namespace

bool is_known_method(std::string_view token) {
  for (auto m : kMethods)
    if (m == token) return true;
  return false;
}

Detection request_start(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && i <= kMaxMethodLen && is_upper(s[i])) ++i;
  if (i == s.size()) {
    for (auto m : kMethods)
      if (m.size() >= s.size() && m.substr(0, s.size()) == s) return Detection::NeedMore;
    return Detection::NoMatch;
  }
  return s[i] == ' ' && is_known_method(s.substr(0, i)) ? Detection::Match : Detection::NoMatch;
}

Detection response_start(std::string_view s) {
  // Pattern "HTTP/1.d ddd" then one of SP CR LF; '#' marks a digit.
  constexpr std::string_view kPattern = "HTTP/1.# ###";
  for (size_t i = 0; i < kPattern.size(); ++i) {
    if (i == s.size()) return Detection::NeedMore;
    bool ok = kPattern[i] == '#' ? is_digit(s[i]) : s[i] == kPattern[i];
    if (!ok) return Detection::NoMatch;
  }
  if (s.size() == kPattern.size()) return Detection::NeedMore;
  if (s[9] == '0') return Detection::NoMatch;  // status codes are 100..999
  char c = s[kPattern.size()];
  return c == ' ' || c == '\r' || c == '\n' ? Detection::Match : Detection::NoMatch;
}

size_t find_message_start(std::string_view s, bool request) {
  size_t from = 0;
  while (true) {
    size_t a = s.find(kVersionPrefix, from);
    if (a == std::string_view::npos) return a;
    from = a + 1;
    if (!request) {
      if (response_start(s.substr(a)) == Detection::Match) return a;
      continue;
    }
    // Request: "... <method> <target> HTTP/1.d\r" - check the tail, then
    // walk back over the target and the method.
    size_t v_end = a + kVersionPrefix.size() + 1;
    if (v_end >= s.size() || !is_digit(s[v_end - 1])) continue;
    if (s[v_end] != '\r' && s[v_end] != '\n') continue;
    if (a < 4 || s[a - 1] != ' ') continue;
    size_t t = a - 1;  // one past the target's last byte
    while (t > 0 && is_target_char(s[t - 1])) --t;
    if (t == a - 1 || t == 0 || s[t - 1] != ' ') continue;
    size_t m_end = t - 1;
    size_t m = m_end;
    while (m > 0 && m_end - m < kMaxMethodLen && is_upper(s[m - 1])) --m;
    size_t len = known_method_suffix(s.substr(m, m_end - m));
    if (len == 0) continue;
    return m_end - len;
  }
}

}  // namespace loupe::http1
