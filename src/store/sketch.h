// A mergeable latency sketch in the style of DDSketch (Masson et al., VLDB
// 2019): values fall into logarithmic buckets whose width is proportional to
// the value, so any quantile is answered with a bounded *relative* error no
// matter how skewed the distribution is, and two sketches merge exactly by
// adding bucket counts. That is what lets the store keep one small sketch per
// endpoint per minute and still answer "p95 over the last day" by merging.
//
// Accuracy: with relative accuracy a = 0.005 the bucket i covers
// (gamma^(i-1), gamma^i] with gamma = (1+a)/(1-a), and the value reported for
// a bucket is 2*gamma^i/(gamma+1), which is within a of every value in it.
// The store documents (docs/storage.md) and tests a 1% bound; the extra
// margin absorbs the rank rounding of the quantile walk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::store {

class Sketch {
 public:
  static constexpr double kRelativeAccuracy = 0.005;

  // Values are non-negative (durations in ns); values below kMinValue are
  // counted in a zero bucket and reported as 0.
  static constexpr double kMinValue = 1.0;

  void add(double value, uint64_t n = 1);
  void merge(const Sketch& other);
  // q in [0, 1]; 0 when empty. Uses the nearest-rank definition: the value
  // with rank ceil(q * count) (1-based).
  double quantile(double q) const;
  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Compact varint encoding: zero count, first index, then (gap, count) per
  // non-empty bucket. Typically tens to a few hundred bytes.
  std::string serialize() const;
  // Returns false (and leaves *this empty) on malformed input.
  bool deserialize(std::string_view bytes);
  // merge() of a serialized sketch without materialising it: queries fold
  // thousands of per-minute rows, and this skips an allocation per row.
  // Returns false (and leaves *this unchanged) on malformed input.
  bool merge_serialized(std::string_view bytes);

 private:
  void add_at(int32_t index, uint64_t n);
  int32_t index_of(double value) const;
  double value_of(int32_t index) const;

  // Dense counts for indices [offset_, offset_ + counts_.size()).
  std::vector<uint64_t> counts_;
  int32_t offset_ = 0;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
};

}  // namespace loupe::store
