#include "store/sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace loupe::store {
namespace {

// Nearest-rank quantile of sorted data, the definition Sketch uses.
double exact_quantile(const std::vector<double>& sorted, double q) {
  auto rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * sorted.size())));
  return sorted[rank - 1];
}

void expect_within_one_percent(std::vector<double> data) {
  Sketch s;
  for (double v : data) s.add(v);
  std::sort(data.begin(), data.end());
  for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    double exact = exact_quantile(data, q);
    EXPECT_NEAR(s.quantile(q), exact, exact * 0.01) << "q=" << q;
  }
  // Serialization round-trips exactly.
  Sketch back;
  ASSERT_TRUE(back.deserialize(s.serialize()));
  EXPECT_EQ(back.count(), s.count());
  EXPECT_EQ(back.quantile(0.95), s.quantile(0.95));
}

TEST(Sketch, LognormalWithinOnePercent) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(std::log(2e6), 1.0);  // median 2 ms in ns
  std::vector<double> v(100000);
  for (auto& x : v) x = d(rng);
  expect_within_one_percent(v);
}

TEST(Sketch, UniformWithinOnePercent) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> d(1e3, 5e8);
  std::vector<double> v(100000);
  for (auto& x : v) x = d(rng);
  expect_within_one_percent(v);
}

TEST(Sketch, BimodalWithinOnePercent) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> fast(1e6, 1e5), slow(2e8, 2e7);  // cache hit vs miss
  std::bernoulli_distribution pick_slow(0.1);
  std::vector<double> v(100000);
  for (auto& x : v) x = std::max(1.0, pick_slow(rng) ? slow(rng) : fast(rng));
  expect_within_one_percent(v);
}

TEST(Sketch, MergeEqualsSketchOfUnion) {
  std::mt19937_64 rng(4);
  std::lognormal_distribution<double> d(std::log(5e6), 2.0);
  Sketch a, b, all;
  for (int i = 0; i < 20000; ++i) {
    double x = d(rng);
    (i % 3 ? a : b).add(x);
    all.add(x);
  }
  Sketch c = a;
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double q : {0.5, 0.95, 0.99}) EXPECT_EQ(a.quantile(q), all.quantile(q));
  ASSERT_TRUE(c.merge_serialized(b.serialize()));
  EXPECT_EQ(c.count(), all.count());
  for (double q : {0.01, 0.5, 0.95, 0.99}) EXPECT_EQ(c.quantile(q), all.quantile(q));
  Sketch empty;
  ASSERT_TRUE(empty.merge_serialized(all.serialize()));
  EXPECT_EQ(empty.quantile(0.95), all.quantile(0.95));
  EXPECT_FALSE(empty.merge_serialized(std::string("\xff", 1)));
  EXPECT_EQ(empty.count(), all.count());
}

TEST(Sketch, EmptyAndZeroValues) {
  Sketch s;
  EXPECT_EQ(s.quantile(0.5), 0);
  s.add(0, 3);
  s.add(1e6);
  EXPECT_EQ(s.count(), 4u);
  EXPECT_EQ(s.quantile(0.5), 0);
  EXPECT_NEAR(s.quantile(1.0), 1e6, 1e4);
  Sketch back;
  ASSERT_TRUE(back.deserialize(s.serialize()));
  EXPECT_EQ(back.count(), 4u);
}

TEST(Sketch, RejectsGarbage) {
  Sketch s;
  EXPECT_FALSE(s.deserialize(std::string("\xff\xff\xff", 3)));
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace loupe::store
