#include "export/latency_buckets.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace loupe::exporting {
namespace {

constexpr size_t kBounds = (kHighestOctave - kLowestOctave) * kBucketsPerOctave + 1;

const std::array<double, kBounds>& bounds() {
  static const std::array<double, kBounds> b = [] {
    std::array<double, kBounds> out{};
    for (size_t i = 0; i < kBounds; ++i)
      out[i] = std::exp2(kLowestOctave + static_cast<double>(i) / kBucketsPerOctave);
    return out;
  }();
  return b;
}

}  // namespace

std::span<const double> latency_bucket_bounds() { return bounds(); }

size_t latency_bucket_index(double seconds) {
  const auto& b = bounds();
  // Below the first bound (or NaN), past the last: what lower_bound gives.
  if (!(seconds > b.front())) return 0;
  if (seconds > b.back()) return kBounds;
  // The bucket guessed from the exponent and the mantissa's first bits
  // (log2 of 1 + m taken as m: off by one bucket at most), then moved to
  // the first bound >= seconds: a binary search over the 161 bounds was
  // ~70 instructions of every record `loupe run`'s writer observes.
  uint64_t bits = std::bit_cast<uint64_t>(seconds);
  int octave = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  double m = std::bit_cast<double>((bits & 0x000f'ffff'ffff'ffffULL) | 0x3ff0'0000'0000'0000ULL);
  long guess =
      (octave - kLowestOctave) * kBucketsPerOctave + static_cast<long>((m - 1) * kBucketsPerOctave);
  size_t i = static_cast<size_t>(std::clamp<long>(guess, 0, static_cast<long>(kBounds)));
  while (i > 0 && b[i - 1] >= seconds) --i;
  while (i < kBounds && b[i] < seconds) ++i;
  return i;
}

}  // namespace loupe::exporting
