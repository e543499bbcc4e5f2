// Equality of two strings, inline for the short ones a record is made of,
// and the word that stands for one in a hash (text_tail, mix_word).
//
// Why: the ingest writer compares every record's names, addresses, methods
// and routes with the last record's (the chunk coder, the resolver's
// connection check, the request metrics' labels). Most are 4-16 bytes and
// equal; std::string_view's == called memcmp for each one, and the calls
// (~20 a record in the chunk coder alone) were ~10% of `loupe run`'s
// ingest writer (docs/benchmarks.md, "issue 14, runcpu4"). Up to 16 bytes
// are compared here as two words that may overlap, up to 32 as two such
// pairs.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace loupe {

// Whether `n` bytes (sizeof(Word) <= n <= 2 * sizeof(Word)) at x and y are
// equal: their first and last words, which overlap when n < 2 words.
template <class Word>
inline bool same_ends(const char* x, const char* y, size_t n) {
  Word x0, x1, y0, y1;
  std::memcpy(&x0, x, sizeof(Word));
  std::memcpy(&x1, x + n - sizeof(Word), sizeof(Word));
  std::memcpy(&y0, y, sizeof(Word));
  std::memcpy(&y1, y + n - sizeof(Word), sizeof(Word));
  return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

// Past 16 bytes, out of line (the inline part stays small enough to be
// inlined everywhere): 17-32 bytes (pod names, Kubernetes or IPv6
// addresses with a port) as the first 16 and the last 16, which overlap,
// instead of a memcmp call.
// One text at one address is equal at once: the records of a pod share one
// interned identity (core/pod_identity.h), so its names past 16 bytes
// (pods, workloads) are compared with themselves record after record.
[[gnu::noinline]] inline bool same_long_text(const char* x, const char* y, size_t n) {
  if (x == y) return true;
  if (n <= 32)
    return same_ends<uint64_t>(x, y, 16) && same_ends<uint64_t>(x + n - 16, y + n - 16, 16);
  return std::memcmp(x, y, n) == 0;
}

inline bool same_text(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8 && n <= 16) return same_ends<uint64_t>(x, y, n);
  if (n >= 4 && n < 8) return same_ends<uint32_t>(x, y, n);
  if (n < 4)  // the first, middle and last bytes are all of them
    return n == 0 || ((x[0] ^ y[0]) | (x[n / 2] ^ y[n / 2]) | (x[n - 1] ^ y[n - 1])) == 0;
  return same_long_text(x, y, n);
}

// The last 8 bytes of a text (an address's port, a route's end, a method)
// and its size, read as one word: what tells apart the values a hot loop
// keeps in slots by hash, without hashing them byte by byte.
// Read with fixed-size loads: a memcpy of a size known only at run time
// was a byte loop, ~18 instructions a text, ~160 a record in the ingest
// writer's hashes (docs/benchmarks.md, "issue 14, runcpu6"). A text
// shorter than a word lands in its low bytes, the rest zero, as a copy
// of it would.
inline uint64_t text_tail(std::string_view s) {
  const size_t n = s.size();
  const char* p = s.data();
  uint64_t v;
  if (n >= 8) {
    std::memcpy(&v, p + n - 8, 8);
  } else if (n >= 4) {  // two words that overlap: the same bytes OR'ed onto each other
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    v = lo | uint64_t{hi} << (8 * (n - 4));
  } else if (n > 0) {  // the first, middle and last bytes are all of them
    v = uint64_t{static_cast<uint8_t>(p[0])} |
        uint64_t{static_cast<uint8_t>(p[n / 2])} << (8 * (n / 2)) |
        uint64_t{static_cast<uint8_t>(p[n - 1])} << (8 * (n - 1));
  } else {
    v = 0;
  }
  return v ^ (uint64_t{n} << 56);
}

// Every input bit moves every output bit (MurmurHash3's finalizer): texts
// that differ only in their last bytes (a host's connections' ports, a
// service's routes) land in different slots, whichever bits are taken.
inline uint64_t mix_word(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

}  // namespace loupe
