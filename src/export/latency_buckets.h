// The bucket bounds of every request-duration histogram Loupe exports.
//
// Prometheus estimates a quantile by finding the bucket that holds its rank
// and interpolating linearly inside it, so the estimate is off by at most
// the bucket's relative width. The bounds are 2^(k/8) seconds — the bucket
// boundaries of an OpenTelemetry exponential histogram at scale 3 — so
// every bucket is 2^(1/8) = 1.0905 times the one before and
// histogram_quantile() lands within 9.05% of the true value (Loupe's own
// p95 is within 1%; docs/export.md). They span 2^-14 s (61 us) to 2^6 s
// (64 s): faster exchanges fall in the first bucket, slower ones in +Inf.
#pragma once

#include <cstddef>
#include <span>

namespace loupe::exporting {

inline constexpr int kBucketsPerOctave = 8;
inline constexpr int kLowestOctave = -14;  // 2^-14 s
inline constexpr int kHighestOctave = 6;   // 2^6 s

// The finite upper bounds in seconds, ascending (161 of them).
std::span<const double> latency_bucket_bounds();
// The first bucket whose bound is >= seconds; bounds().size() for +Inf.
size_t latency_bucket_index(double seconds);

}  // namespace loupe::exporting
