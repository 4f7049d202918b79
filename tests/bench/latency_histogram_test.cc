#include "tools/kvbench/latency_histogram.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace kv::bench {

namespace {

// The exact percentile of sorted values, by the same rank rule: the ceil(q*n)-th smallest.
uint64_t ExactPercentile(const std::vector<uint64_t>& sorted, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

}  // namespace

TEST_CASE("an empty histogram reports zeros") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.PercentileNanos(0.5) == 0);
  CHECK(h.PercentileNanos(0.999) == 0);
  CHECK(h.mean_nanos() == 0);
}

TEST_CASE("values below 128 ns are exact") {
  LatencyHistogram h;
  for (uint64_t v = 0; v < 100; ++v) h.Record(v);
  CHECK(h.PercentileNanos(0.50) == 49);
  CHECK(h.PercentileNanos(0.99) == 98);
  CHECK(h.PercentileNanos(1.0) == 99);
  CHECK(h.min_nanos() == 0);
  CHECK(h.max_nanos() == 99);
}

TEST_CASE("percentiles are within 1/64 of the exact ones over a wide range") {
  const uint64_t seed = 42;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  // Log-uniform from 100 ns to about 100 s, like real latencies with a long tail.
  std::lognormal_distribution<double> dist(std::log(20000.0), 2.0);
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    auto v = static_cast<uint64_t>(std::min(dist(rng), 1e11));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    double exact = static_cast<double>(ExactPercentile(values, q));
    double got = static_cast<double>(h.PercentileNanos(q));
    CAPTURE(q);
    CHECK(got >= exact);  // the bucket's upper bound, never below the true value
    CHECK(got <= exact * (1.0 + 1.0 / 64) + 1);
  }
  CHECK(h.max_nanos() == values.back());
  CHECK(h.PercentileNanos(1.0) == values.back());
}

TEST_CASE("merging per-thread histograms equals recording everything in one") {
  std::mt19937_64 rng(7);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    uint64_t v = rng() % 10000000;
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.min_nanos() == all.min_nanos());
  CHECK(a.max_nanos() == all.max_nanos());
  CHECK(a.mean_nanos() == doctest::Approx(all.mean_nanos()));
  for (double q : {0.5, 0.99, 0.999}) CHECK(a.PercentileNanos(q) == all.PercentileNanos(q));
}

TEST_CASE("the largest values do not overflow the buckets") {
  LatencyHistogram h;
  h.Record(UINT64_MAX);
  h.Record(1);
  CHECK(h.PercentileNanos(1.0) == UINT64_MAX);
  CHECK(h.PercentileNanos(0.5) == 1);
}

}  // namespace kv::bench
