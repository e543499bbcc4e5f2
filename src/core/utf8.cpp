#include "core/utf8.h"

#include <cstdint>
#include <cstring>

namespace loupe::utf8 {

size_t sequence_length(std::string_view s, size_t i) {
  auto byte = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  // C0, C1 (overlong two-byte forms) and F5..FF never start a sequence.
  const size_t n = c >= 0xC2 && c <= 0xDF   ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
  if (n == 0 || n > s.size() - i) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  const unsigned char c1 = byte(i + 1);
  if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong three-byte form
  if (c == 0xED && c1 > 0x9F) return 0;  // UTF-16 surrogates D800..DFFF
  if (c == 0xF0 && c1 < 0x90) return 0;  // overlong four-byte form
  if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
  return n;
}

bool is_valid(std::string_view s) {
  // Captured text is nearly always ASCII: skip it 8 bytes at a time (every
  // record's fields pass here once, in the capture path).
  size_t i = 0;
  for (uint64_t word = 0; i + sizeof word <= s.size(); i += sizeof word) {
    std::memcpy(&word, s.data() + i, sizeof word);
    if (word & 0x8080808080808080ULL) break;
  }
  while (i < s.size()) {
    // ASCII inline: most fields are shorter than a word ("GET", "/a"),
    // and a call per character was most of their check.
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void append_valid(std::string& out, std::string_view in, size_t max) {
  size_t written = 0, i = 0;
  while (i < in.size()) {
    // Copy the run of well-formed text in one append.
    size_t run = i, n = 0;
    while (run < in.size() && (n = sequence_length(in, run)) != 0 && run - i + n <= max - written)
      run += n;
    out.append(in.data() + i, run - i);
    written += run - i;
    i = run;
    if (i == in.size() || n != 0) return;  // done, or the next character does not fit
    if (max - written < kReplacement.size()) return;
    out.append(kReplacement);
    written += kReplacement.size();
    ++i;
  }
}

void make_valid(std::string& s, size_t max) {
  if (s.size() <= max && is_valid(s)) return;
  std::string clean;
  clean.reserve(s.size() < max ? s.size() + 16 : max);
  append_valid(clean, s, max);
  s = std::move(clean);
}

std::string_view cut(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  auto continuation = [&s](size_t k) { return (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80; };
  // The character straddling the cut starts at most 3 bytes before it.
  size_t lead = max;
  while (lead > 0 && max - lead < 3 && continuation(lead)) --lead;
  if (lead < max && sequence_length(s, lead) > max - lead) return s.substr(0, lead);
  return s.substr(0, max);
}

void truncate(std::string& s, size_t max) { s.resize(cut(s, max).size()); }

}  // namespace loupe::utf8
