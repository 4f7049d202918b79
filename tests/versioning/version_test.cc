#include "libkv/versioning/version.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>

namespace kv {
namespace {

constexpr uint64_t kSeed = 77;

Version V(std::initializer_list<std::pair<ClockId, uint64_t>> clock, Dot dot) {
  Version v;
  for (auto [id, n] : clock) v.clock.Witness(id, n, 0);
  v.dot = dot;
  return v;
}

// The history spelled out: every (id, counter) event the version has seen, its dot included.
std::set<std::pair<ClockId, uint64_t>> Events(const Version& v) {
  std::set<std::pair<ClockId, uint64_t>> out;
  for (const ClockEntry& e : v.clock.entries()) {
    for (uint64_t c = 1; c <= e.counter; ++c) out.insert({e.id, c});
  }
  out.insert({v.dot.id, v.dot.counter});
  return out;
}

ClockOrder BruteForceOrder(const Version& a, const Version& b) {
  const auto x = Events(a);
  const auto y = Events(b);
  const bool x_in_y = std::includes(y.begin(), y.end(), x.begin(), x.end());
  const bool y_in_x = std::includes(x.begin(), x.end(), y.begin(), y.end());
  if (x_in_y && y_in_x) return ClockOrder::kEqual;
  if (x_in_y) return ClockOrder::kBefore;
  if (y_in_x) return ClockOrder::kAfter;
  return ClockOrder::kConcurrent;
}

}  // namespace

TEST_CASE("version: histories with dots") {
  const Version a1 = V({}, {1, 1});
  const Version a2_blind = V({}, {1, 2});  // a blind write at the same coordinator
  const Version b1_saw_a1 = V({{1, 1}}, {2, 1});
  CHECK(CompareVersions(a1, a2_blind) == ClockOrder::kConcurrent);  // a gap, not a dominance
  CHECK(CompareVersions(a1, b1_saw_a1) == ClockOrder::kBefore);
  CHECK(CompareVersions(b1_saw_a1, a1) == ClockOrder::kAfter);
  CHECK(CompareVersions(a2_blind, b1_saw_a1) == ClockOrder::kConcurrent);
  CHECK(CompareVersions(a1, a1) == ClockOrder::kEqual);
  // A dot right after its clock is the same history as the clock incremented.
  const Version inc = V({{1, 1}}, {1, 2});
  CHECK(CompareVersions(a2_blind, inc) == ClockOrder::kBefore);
  CHECK(inc.HistoryClock().CounterOf(1) == 2);
  // Context coverage: the dot and the clock both.
  VectorClock ctx;
  ctx.Witness(1, 1, 0);
  CHECK(IsCoveredByContext(a1, ctx));
  CHECK_FALSE(IsCoveredByContext(a2_blind, ctx));
  CHECK_FALSE(IsCoveredByContext(b1_saw_a1, ctx));
  ctx.Witness(2, 1, 0);
  CHECK(IsCoveredByContext(b1_saw_a1, ctx));
}

TEST_CASE("version: compare agrees with the spelled-out histories") {
  std::printf("version compare: seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  auto random_version = [&] {
    Version v;
    const int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) v.clock.Witness(1 + rng() % 3, 1 + rng() % 3, 0);
    v.dot.id = 1 + rng() % 3;
    v.dot.counter = v.clock.CounterOf(v.dot.id) + 1 + rng() % 3;
    return v;
  };
  int counts[4] = {};
  for (int i = 0; i < 20000; ++i) {
    const Version a = random_version();
    const Version b = random_version();
    const ClockOrder o = CompareVersions(a, b);
    CHECK(o == BruteForceOrder(a, b));
    ++counts[static_cast<int>(o)];
    // The history clock covers every event (and maybe the gaps below the dot).
    for (auto [id, c] : Events(a)) CHECK(a.HistoryClock().CounterOf(id) >= c);
  }
  for (int k = 0; k < 4; ++k) CHECK(counts[k] > 100);
}

}  // namespace kv
