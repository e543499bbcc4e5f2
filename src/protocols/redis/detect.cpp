// Recognising a Redis connection from the first bytes a client sends.
#include <algorithm>
#include <array>

#include "protocols/redis/command.h"
#include "protocols/redis/redis.h"

namespace loupe::redis {
namespace {

bool is_upper_letter(char c) { return c >= 'A' && c <= 'Z'; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// Reads "<digits>\r\n" at `pos`; NeedMore when the bytes stop inside it.
Detection read_count(std::string_view b, size_t& pos, int64_t& n) {
  size_t start = pos;
  n = 0;
  while (pos < b.size() && b[pos] >= '0' && b[pos] <= '9') {
    n = n * 10 + (b[pos] - '0');
    if (++pos - start > 9) return Detection::NoMatch;
  }
  if (pos == b.size()) return Detection::NeedMore;
  if (pos == start || b[pos] != '\r') return Detection::NoMatch;
  if (++pos == b.size()) return Detection::NeedMore;
  if (b[pos++] != '\n') return Detection::NoMatch;
  return Detection::Match;
}

// "*N\r\n$M\r\nNAME\r\n" with a plausible command name.
Detection detect_array(std::string_view b) {
  size_t pos = 1;
  int64_t n = 0, m = 0;
  Detection d = read_count(b, pos, n);
  if (d != Detection::Match) return d;
  if (n < 1 || n > 1024 * 1024) return Detection::NoMatch;
  if (pos == b.size()) return Detection::NeedMore;
  if (b[pos++] != '$') return Detection::NoMatch;
  d = read_count(b, pos, m);
  if (d != Detection::Match) return d;
  if (m < 1 || m > 32) return Detection::NoMatch;
  for (int64_t i = 0; i < m + 2; ++i, ++pos) {
    if (pos == b.size()) return Detection::NeedMore;
    char c = i < m ? upper(b[pos]) : b[pos];
    bool ok = i == m       ? c == '\r'
              : i == m + 1 ? c == '\n'
              : i == 0     ? is_upper_letter(c)
                           : is_upper_letter(c) || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                             c == '-' || c == '|';
    if (!ok) return Detection::NoMatch;
  }
  return Detection::Match;
}

Detection detect_inline(std::string_view b) {
  size_t end = b.find('\n');
  if (end == std::string_view::npos) {
    if (b.size() > 1024) return Detection::NoMatch;
    // Could still become a known command line: wait while the word fits.
    size_t word_end = b.find_first_of(" \r");
    bool word_done = word_end != std::string_view::npos;
    std::string_view word = b.substr(0, word_done ? word_end : b.size());
    for (auto cmd : kInlineCommands)
      if ((word_done ? word.size() == cmd.size() : word.size() <= cmd.size()) &&
          std::equal(word.begin(), word.end(), cmd.begin(),
                     [](char x, char y) { return upper(x) == y; }))
        return Detection::NeedMore;
    return Detection::NoMatch;
  }
  std::string_view line = b.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // "GET / HTTP/1.1" is HTTP, not the Redis GET command.
  if (line.find(" HTTP/") != std::string_view::npos) return Detection::NoMatch;
  for (char c : line)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
      return Detection::NoMatch;
  return is_inline_command(line.substr(0, line.find(' '))) ? Detection::Match : Detection::NoMatch;
}

}  // namespace

Detection detect(std::string_view first_bytes, Direction dir, Role role) {
  // Clients speak first in Redis; a connection whose first bytes are replies
  // is not recognised (the capture started mid-stream).
  if (role != Role::Unknown && dir != request_direction(role)) return Detection::NoMatch;
  if (first_bytes.empty()) return Detection::NeedMore;
  if (first_bytes[0] == '*') return detect_array(first_bytes);
  return detect_inline(first_bytes);
}

}  // namespace loupe::redis
