#include "tools/kvbench/workload_keys.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <vector>

namespace kv::bench {

TEST_CASE("keys have the key size, sort by index, and missing keys fall between them") {
  auto keys = WorkloadKeys::Make(1000, 16, 100, 301);
  REQUIRE(keys.ok());
  std::string prev, key, missing;
  for (uint64_t i = 0; i < 1000; ++i) {
    keys->KeyAt(i, &key);
    keys->MissingKeyAt(i, &missing);
    CHECK(key.size() == 16);
    CHECK(missing.size() == 16);
    CHECK(key < missing);
    if (i > 0) CHECK(prev < key);
    prev = missing;
  }
  keys->KeyAt(42, &key);
  CHECK(key == "0000000000000420");
}

TEST_CASE("the key size must hold the digits of the last index and the marker byte") {
  CHECK(WorkloadKeys::Make(1000, 4, 100, 1).ok());  // "999" + marker
  auto too_small = WorkloadKeys::Make(1001, 4, 100, 1);
  REQUIRE_FALSE(too_small.ok());
  CHECK(too_small.status().code() == ErrorCode::kInvalidArgument);
  CHECK_FALSE(WorkloadKeys::Make(0, 16, 100, 1).ok());
}

TEST_CASE("the random order is a permutation, fixed by the seed") {
  auto a = WorkloadKeys::Make(5000, 16, 100, 301);
  auto b = WorkloadKeys::Make(5000, 16, 100, 301);
  auto c = WorkloadKeys::Make(5000, 16, 100, 302);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  auto order = a->RandomOrder();
  CHECK(order == b->RandomOrder());
  CHECK(order != c->RandomOrder());
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (uint64_t i = 0; i < sorted.size(); ++i) REQUIRE(sorted[i] == i);
  CHECK_FALSE(std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("values have the value size and the same op gives the same value") {
  auto a = WorkloadKeys::Make(10, 16, 100, 301);
  auto b = WorkloadKeys::Make(10, 16, 100, 301);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  std::set<std::string> distinct;
  for (uint64_t op = 0; op < 100; ++op) {
    CHECK(a->ValueFor(op).size() == 100);
    CHECK(a->ValueFor(op) == b->ValueFor(op));
    distinct.insert(std::string(a->ValueFor(op)));
  }
  CHECK(distinct.size() == 100);
}

TEST_CASE("read indexes stay below the bound and repeat for the same seed") {
  IndexSequence a(9), b(9);
  for (int i = 0; i < 10000; ++i) {
    uint64_t x = a.Next(777);
    CHECK(x < 777);
    CHECK(x == b.Next(777));
  }
}

}  // namespace kv::bench

namespace kv::bench {

TEST_CASE("key distributions: parse their names") {
  CHECK(*ParseKeyDistribution("uniform") == KeyDistribution::kUniform);
  CHECK(*ParseKeyDistribution("zipfian") == KeyDistribution::kZipfian);
  CHECK(ParseKeyDistribution("latest").status().code() == ErrorCode::kInvalidArgument);
}

// The share of `samples` draws that fall on the most drawn 1% of keys.
double TopPercentShare(const KeyChooser& chooser, uint64_t seed, uint64_t samples) {
  std::vector<uint64_t> counts(chooser.n());
  IndexSequence random(seed);
  for (uint64_t i = 0; i < samples; ++i) {
    const uint64_t k = chooser.Next(random);
    REQUIRE(k < chooser.n());
    ++counts[k];
  }
  std::sort(counts.begin(), counts.end(), std::greater<>());
  uint64_t top = 0;
  for (uint64_t i = 0; i < chooser.n() / 100; ++i) top += counts[i];
  return static_cast<double>(top) / static_cast<double>(samples);
}

TEST_CASE("zipfian keys are skewed: the top 1% of keys get about half the draws") {
  const KeyChooser zipf(KeyDistribution::kZipfian, 10000);
  const KeyChooser uniform(KeyDistribution::kUniform, 10000);
  const double zipf_share = TopPercentShare(zipf, 7, 200000);
  const double uniform_share = TopPercentShare(uniform, 7, 200000);
  MESSAGE("top 1% of 10000 keys: zipfian " << zipf_share << ", uniform " << uniform_share);
  // For theta 0.99 the first 100 ranks of 10000 carry H(100)/H(10000) ~ 0.53 of the mass.
  CHECK(zipf_share > 0.45);
  CHECK(zipf_share < 0.70);
  CHECK(uniform_share < 0.03);
}

TEST_CASE("zipfian ranks: rank 0 is the most popular, and the sequence is fixed by the seed") {
  const KeyChooser zipf(KeyDistribution::kZipfian, 1000);
  std::vector<uint64_t> rank_counts(1000);
  IndexSequence random(42);
  for (int i = 0; i < 100000; ++i) ++rank_counts[zipf.NextRank(random)];
  CHECK(rank_counts[0] > rank_counts[1]);
  CHECK(rank_counts[1] > rank_counts[10]);
  CHECK(rank_counts[10] > rank_counts[500]);

  IndexSequence a(99), b(99), c(100);
  std::vector<uint64_t> from_a, from_b, from_c;
  for (int i = 0; i < 1000; ++i) {
    from_a.push_back(zipf.Next(a));
    from_b.push_back(zipf.Next(b));
    from_c.push_back(zipf.Next(c));
  }
  CHECK(from_a == from_b);
  CHECK(from_a != from_c);
  // Scrambled: the hottest key is not key 0.
  IndexSequence d(5);
  std::vector<uint64_t> key_counts(1000);
  for (int i = 0; i < 100000; ++i) ++key_counts[zipf.Next(d)];
  const auto hottest = std::max_element(key_counts.begin(), key_counts.end()) - key_counts.begin();
  CHECK(hottest != 0);
}

TEST_CASE("a key space of one key always gives key 0") {
  const KeyChooser zipf(KeyDistribution::kZipfian, 1);
  IndexSequence random(1);
  for (int i = 0; i < 100; ++i) CHECK(zipf.Next(random) == 0);
}

}  // namespace kv::bench
