#include "protocols/http1/start_line.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace loupe::http1 {
namespace {

// Registered methods seen in real traffic (IANA HTTP Method Registry plus
// common private ones). Any other token is a method too, recognised from its
// whole request line.
constexpr std::array<std::string_view, 35> kMethods{"GET",        "POST",        "PUT",
                                                    "DELETE",     "HEAD",        "OPTIONS",
                                                    "PATCH",      "CONNECT",     "TRACE",
                                                    "QUERY",      "PROPFIND",    "PROPPATCH",
                                                    "MKCOL",      "COPY",        "MOVE",
                                                    "LOCK",       "UNLOCK",      "REPORT",
                                                    "SEARCH",     "PURGE",       "MKCALENDAR",
                                                    "LINK",       "UNLINK",      "ACL",
                                                    "BIND",       "UNBIND",      "REBIND",
                                                    "CHECKOUT",   "CHECKIN",     "MERGE",
                                                    "MKACTIVITY", "MKWORKSPACE", "VERSION-CONTROL",
                                                    "ORDERPATCH", "UPDATE"};

constexpr std::string_view kVersionPrefix = "HTTP/1.";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Characters of a request target: visible ASCII (RFC 9112 3.2 forms are all
// made of them).
bool is_target_char(char c) { return c > ' ' && c < 0x7f; }

// Does `s` continue, from `i`, with "<target> HTTP/1.<d>" + CR/LF?
Detection rest_of_request_line(std::string_view s, size_t i) {
  size_t target = i;
  while (i < s.size() && is_target_char(s[i])) ++i;
  if (i - target > kMaxUnknownMethodLine) return Detection::NoMatch;
  if (i == s.size()) return Detection::NeedMore;
  if (i == target || s[i] != ' ') return Detection::NoMatch;
  constexpr std::string_view kVersion = "HTTP/1.#";  // '#' marks a digit
  for (char want : kVersion) {
    if (++i == s.size()) return Detection::NeedMore;
    if (want == '#' ? !is_digit(s[i]) : s[i] != want) return Detection::NoMatch;
  }
  if (++i == s.size()) return Detection::NeedMore;
  return s[i] == '\r' || s[i] == '\n' ? Detection::Match : Detection::NoMatch;
}

// Length of the longest known method that `run` (token characters) ends with.
size_t known_method_suffix(std::string_view run) {
  size_t best = 0;
  for (auto m : kMethods)
    if (m.size() > best && run.size() >= m.size() && run.substr(run.size() - m.size()) == m)
      best = m.size();
  return best;
}

// A known method and the space after it as the word its first bytes load
// as (the other bytes zero), with the mask of those bytes: a request's
// first 8 bytes are compared with each in two instructions.
struct MethodWord {
  uint64_t word = 0;
  uint64_t mask = 0;
  size_t size = 0;  // the method's, without the space
};

// The known methods of at most 7 bytes (all but the WebDAV ones of 8 and
// more, which take the loop below), in kMethods' order: the most common
// first.
constexpr auto kMethodWords = [] {
  constexpr size_t kCount = [] {
    size_t n = 0;
    for (auto m : kMethods) n += m.size() < 8 ? 1 : 0;
    return n;
  }();
  std::array<MethodWord, kCount> words{};
  size_t w = 0;
  for (auto m : kMethods) {
    if (m.size() >= 8) continue;
    words[w].size = m.size();
    const std::string_view with_space[] = {m, " "};
    size_t at = 0;
    for (std::string_view part : with_space) {
      for (char c : part) {
        const size_t shift = std::endian::native == std::endian::little ? 8 * at : 8 * (7 - at);
        words[w].word |= uint64_t{static_cast<unsigned char>(c)} << shift;
        words[w].mask |= uint64_t{0xff} << shift;
        ++at;
      }
    }
    ++w;
  }
  return words;
}();

}  // namespace

size_t short_method_prefix(std::string_view s) {
  if (s.size() < 8) return 0;
  uint64_t first = 0;
  std::memcpy(&first, s.data(), sizeof first);
  for (const MethodWord& m : kMethodWords)
    if ((first & m.mask) == m.word) return m.size;
  return 0;
}

bool is_known_method(std::string_view token) {
  for (auto m : kMethods)
    if (m == token) return true;
  return false;
}

Detection request_start(std::string_view s) {
  if (short_method_prefix(s) > 0) return Detection::Match;
  size_t i = 0;
  while (i < s.size() && i <= kMaxMethodLen && is_token_char(s[i])) ++i;
  if (i > kMaxMethodLen) return Detection::NoMatch;
  if (i == s.size()) return Detection::NeedMore;
  if (i == 0 || s[i] != ' ') return Detection::NoMatch;
  if (is_known_method(s.substr(0, i))) return Detection::Match;
  return rest_of_request_line(s, i + 1);
}

Detection response_start(std::string_view s) {
  // Every response's first bytes come here (the reader checks them before
  // its head): a whole status line is read at fixed places, the same rules
  // as the loop below without a branch per pattern character.
  if (s.size() > 12) {
    const bool match = std::memcmp(s.data(), "HTTP/1.", 7) == 0 && is_digit(s[7]) && s[8] == ' ' &&
                       s[9] >= '1' && s[9] <= '9' && is_digit(s[10]) && is_digit(s[11]) &&
                       (s[12] == ' ' || s[12] == '\r' || s[12] == '\n');
    return match ? Detection::Match : Detection::NoMatch;
  }
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
    while (m > 0 && m_end - m < kMaxMethodLen && is_token_char(s[m - 1])) --m;
    if (m == m_end) continue;
    // A known method may follow the end of a body directly; another token
    // must start the buffer or a line, or it could be the body's tail.
    size_t len = known_method_suffix(s.substr(m, m_end - m));
    if (len > 0) return m_end - len;
    if (m == 0 || s[m - 1] == '\n') return m;
  }
}

}  // namespace loupe::http1
