#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "libkv/storage/bloom_filter.h"

namespace kv {
namespace {

BloomFilter Build(int bits_per_key, int first, int count) {
  BloomFilterBuilder b(bits_per_key);
  for (int i = first; i < first + count; ++i) b.AddKey("key" + std::to_string(i));
  auto f = BloomFilter::Parse(b.Finish());
  REQUIRE(f.has_value());
  return *f;
}

TEST_CASE("bloom: no false negatives, and the measured false-positive rate is near the estimate") {
  for (int bits_per_key : {4, 10, 16}) {
    for (int n : {1, 100, 10000, 50000}) {
      const BloomFilter f = Build(bits_per_key, 0, n);
      CHECK(f.keys() == static_cast<uint64_t>(n));
      CHECK(f.hash_count() == static_cast<int>(std::lround(bits_per_key * std::log(2.0))));
      for (int i = 0; i < n; ++i) REQUIRE(f.MayContain("key" + std::to_string(i)));
      if (n < 10000) continue;
      const int probes = 100000;
      int positives = 0;
      for (int i = 0; i < probes; ++i) positives += f.MayContain("key" + std::to_string(n + i));
      const double measured = static_cast<double>(positives) / probes;
      const double expected = BloomExpectedFalsePositiveRate(f.bits(), f.keys(), f.hash_count());
      MESSAGE(bits_per_key << " bits/key, " << n << " keys, k=" << f.hash_count()
                           << ": measured false-positive rate " << measured << ", expected "
                           << expected);
      // Generous bounds: the estimate is an approximation, and this must not be flaky.
      CHECK(measured < expected * 1.5 + 0.002);
      CHECK(measured > expected * 0.5);
      if (bits_per_key == 10) CHECK(measured < 0.015);
    }
  }
}

TEST_CASE("bloom: the expected rate formula") {
  CHECK(BloomExpectedFalsePositiveRate(1000, 0, 7) == 0);
  const double p = BloomExpectedFalsePositiveRate(100000, 10000, 7);
  CHECK(p == doctest::Approx(0.00819).epsilon(0.01));
}

TEST_CASE("bloom: malformed filter blocks are rejected") {
  CHECK(!BloomFilter::Parse("").has_value());
  CHECK(!BloomFilter::Parse(std::string("\x00\x01\xff", 3)).has_value());  // k = 0
  CHECK(!BloomFilter::Parse(std::string("\x1f\x01\xff", 3)).has_value());  // k = 31
  CHECK(!BloomFilter::Parse(std::string("\x07\x01", 2)).has_value());      // no bits
  CHECK(!BloomFilter::Parse(std::string("\x07\xff", 2)).has_value());      // bad varint
  CHECK(BloomFilter::Parse(std::string("\x07\x01\x00", 3)).has_value());
}

}  // namespace
}  // namespace kv
