#include "store/sketch.h"

#include <algorithm>
#include <cmath>

namespace loupe::store {

namespace {

const double kGamma = (1 + Sketch::kRelativeAccuracy) / (1 - Sketch::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// Zig-zag so negative bucket indices (values < 1) stay short.
uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

int32_t Sketch::index_of(double value) const {
  // The ingest writer adds each record's duration to up to three sketches
  // in a row (its minute rollup, its map edge, its pod), each a log: the
  // last value's index is kept (per thread: sketches are added to on
  // several) and the log taken once (~1.4% of `loupe run`'s writer,
  // docs/benchmarks.md "issue 14, runcpu4").
  thread_local double last_value = -1;
  thread_local int32_t last_index = 0;
  if (value != last_value) {
    last_index = static_cast<int32_t>(std::ceil(std::log(value) / kLogGamma));
    last_value = value;
  }
  return last_index;
}

double Sketch::value_of(int32_t index) const {
  return 2.0 * std::pow(kGamma, index) / (kGamma + 1.0);
}

void Sketch::add(double value, uint64_t n) {
  if (n == 0) return;
  count_ += n;
  if (!(value >= kMinValue)) {  // also catches NaN
    zero_count_ += n;
    return;
  }
  add_at(index_of(value), n);
}

void Sketch::add_at(int32_t i, uint64_t n) {
  if (counts_.empty()) {
    offset_ = i;
    counts_.assign(1, 0);
  } else if (i < offset_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(offset_ - i), 0);
    offset_ = i;
  } else if (i >= offset_ + static_cast<int32_t>(counts_.size())) {
    counts_.resize(static_cast<size_t>(i - offset_) + 1, 0);
  }
  counts_[static_cast<size_t>(i - offset_)] += n;
}

void Sketch::merge(const Sketch& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  count_ += other.count_;
  zero_count_ += other.zero_count_;
  if (other.counts_.empty()) return;
  if (counts_.empty()) {
    counts_ = other.counts_;
    offset_ = other.offset_;
    return;
  }
  int32_t lo = std::min(offset_, other.offset_);
  int32_t hi = std::max(offset_ + static_cast<int32_t>(counts_.size()),
                        other.offset_ + static_cast<int32_t>(other.counts_.size()));
  if (lo < offset_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(offset_ - lo), 0);
    offset_ = lo;
  }
  counts_.resize(static_cast<size_t>(hi - lo), 0);
  for (size_t k = 0; k < other.counts_.size(); ++k)
    counts_[static_cast<size_t>(other.offset_ - offset_) + k] += other.counts_[k];
}

double Sketch::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = zero_count_;
  if (seen >= rank) return 0;
  for (size_t k = 0; k < counts_.size(); ++k) {
    seen += counts_[k];
    if (seen >= rank) return value_of(offset_ + static_cast<int32_t>(k));
  }
  return value_of(offset_ + static_cast<int32_t>(counts_.size()) - 1);
}

std::string Sketch::serialize() const {
  std::string out;
  out.reserve(8 + counts_.size() * 2);
  put_varint(out, zero_count_);
  put_varint(out, zigzag(offset_));
  uint64_t gap = 0;
  for (uint64_t c : counts_) {
    if (c == 0) {
      ++gap;
      continue;
    }
    put_varint(out, gap);
    put_varint(out, c);
    gap = 1;
  }
  return out;
}

bool Sketch::merge_serialized(std::string_view in) {
  // Decode fully before touching *this, so bad input changes nothing.
  thread_local std::vector<std::pair<int32_t, uint64_t>> buckets;
  buckets.clear();
  uint64_t zero, off;
  if (!get_varint(in, zero) || !get_varint(in, off)) return false;
  int64_t index = unzigzag(off);
  uint64_t total = zero;
  while (!in.empty()) {
    uint64_t gap, c;
    if (!get_varint(in, gap) || !get_varint(in, c) || gap > 100000) return false;
    index += static_cast<int64_t>(gap);  // the first gap is from the offset itself
    buckets.emplace_back(static_cast<int32_t>(index), c);
    total += c;
  }
  count_ += total;
  zero_count_ += zero;
  for (auto [i, c] : buckets) add_at(i, c);
  return true;
}

bool Sketch::deserialize(std::string_view in) {
  *this = Sketch{};
  uint64_t zero, off;
  if (!get_varint(in, zero) || !get_varint(in, off)) return false;
  zero_count_ = zero;
  count_ = zero;
  offset_ = static_cast<int32_t>(unzigzag(off));
  size_t pos = 0;
  bool first = true;
  while (!in.empty()) {
    uint64_t gap, c;
    if (!get_varint(in, gap) || !get_varint(in, c) || gap > 100000) {
      *this = Sketch{};
      return false;
    }
    // The first gap is 0 (the first bucket sits at offset_); later gaps are
    // distances from the previous non-empty bucket.
    pos = first ? static_cast<size_t>(gap) : pos + static_cast<size_t>(gap);
    first = false;
    if (counts_.size() <= pos) counts_.resize(pos + 1, 0);
    counts_[pos] += c;
    count_ += c;
  }
  return true;
}

}  // namespace loupe::store
