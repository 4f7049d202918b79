// What zone-aware placement costs a preference-list lookup (docs/benchmarks.md, "Zones"):
// Ring::PreferenceList for N=3 over a ring of 6 nodes with 128 vnodes each, without zones and
// with 3 zones of 2, alternating rounds of the same keys; and Ring::SloppyPreferenceList with one
// node down. Pure CPU, one thread. Build: ninja -C build-rel kvbench-ring (not built by default).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "libkv/ring/ring.h"

namespace kv {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kKeys = 100000;
constexpr int kRounds = 7;

// Nanoseconds per call of `lookup` over every key, the median of kRounds rounds.
template <class Lookup>
double MedianNanos(const std::vector<std::string>& keys, Lookup lookup) {
  std::vector<double> rounds;
  size_t sink = 0;
  for (int r = 0; r < kRounds; ++r) {
    const auto start = Clock::now();
    for (const std::string& key : keys) sink += lookup(key);
    const std::chrono::duration<double, std::nano> took = Clock::now() - start;
    rounds.push_back(took.count() / static_cast<double>(keys.size()));
  }
  if (sink == 42) std::puts("");  // keeps the lookups
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

int Main() {
  const std::vector<std::string> names = {"n1", "n2", "n3", "n4", "n5", "n6"};
  const Ring plain = Ring::WithVnodes(names, 128);
  const Ring zoned = Ring::WithVnodes(names, 128, {"a", "a", "b", "b", "c", "c"});
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(fmt::format("user:{:012}", i));
  const auto n4_down = [](std::string_view id) { return id != "n4"; };
  std::printf("%-34s %10s %10s\n", "lookup (6 nodes, 128 vnodes, N=3)", "no zones", "3 zones");
  for (int pass = 0; pass < 2; ++pass) {  // the second pass is the one to quote (warm caches)
    const double p =
        MedianNanos(keys, [&](const std::string& k) { return plain.PreferenceList(k, 3).size(); });
    const double z =
        MedianNanos(keys, [&](const std::string& k) { return zoned.PreferenceList(k, 3).size(); });
    const double sp = MedianNanos(keys, [&](const std::string& k) {
      return plain.SloppyPreferenceList(k, 3, n4_down).size();
    });
    const double sz = MedianNanos(keys, [&](const std::string& k) {
      return zoned.SloppyPreferenceList(k, 3, n4_down).size();
    });
    if (pass == 0) continue;
    std::printf("%-34s %8.0f ns %8.0f ns\n", "PreferenceList", p, z);
    std::printf("%-34s %8.0f ns %8.0f ns\n", "SloppyPreferenceList (n4 down)", sp, sz);
  }
  return 0;
}

}  // namespace
}  // namespace kv

int main() {
  return kv::Main();
}
