#include "core/span_id.h"

#include <string_view>

namespace loupe {
namespace {

struct Fnv1a {
  uint64_t h = 1469598103934665603ull;
  void add(std::string_view s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // a separator, so ("ab","c") != ("a","bc")
  }
  void add(uint64_t v) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xff)) * 1099511628211ull;
  }
};

}  // namespace

uint64_t span_id_of(const Record& r) {
  Fnv1a f;
  f.add(r.node());
  f.add(uint64_t{r.pid} << 32 | r.tid);
  f.add(static_cast<uint64_t>(r.role));
  f.add(r.start_ns);
  f.add(r.end_ns);
  f.add(r.local_addr);
  f.add(r.remote_addr);
  // A final mix (splitmix64), so close inputs give unrelated ids.
  uint64_t z = f.h + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z ? z : 1;
}

std::string span_id_hex(uint64_t id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, id >>= 4) out[static_cast<size_t>(i)] = kDigits[id & 15];
  return out;
}

}  // namespace loupe
