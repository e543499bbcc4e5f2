#include "export/latency_buckets.h"

#include <algorithm>
#include <array>
#include <cmath>

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
  return static_cast<size_t>(std::lower_bound(b.begin(), b.end(), seconds) - b.begin());
}

}  // namespace loupe::exporting
