#include "protocols/redis/text.h"

namespace loupe::redis {
namespace {

// Length of the well-formed UTF-8 sequence starting at `p`, or 0.
size_t utf8_length(const unsigned char* p, size_t avail) {
  size_t n = 0;
  if (p[0] >= 0xC2 && p[0] <= 0xDF) {
    n = 2;
  } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
    n = 3;
  } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (n > avail) return 0;
  for (size_t i = 1; i < n; ++i)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return n;
}

}  // namespace

void append_sanitized(std::string& out, std::string_view in, size_t max) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t i = 0, written = 0;
  while (i < in.size() && written < max) {
    if (p[i] >= 0x20 && p[i] < 0x7F) {
      out.push_back(static_cast<char>(p[i]));
      ++i, ++written;
      continue;
    }
    size_t n = p[i] >= 0x80 ? utf8_length(p + i, in.size() - i) : 0;
    if (n == 0) {
      out.push_back('?');
      ++i, ++written;
      continue;
    }
    if (written + n > max) break;  // never cut a character in half
    out.append(in.data() + i, n);
    i += n, written += n;
  }
}

}  // namespace loupe::redis
