// Gossip in one process, no sockets (GossipSimulation, libkv/membership/gossip_simulation.h): N
// membership tables, each gossiping once a simulated second at its own phase, messages delivered
// as function calls (encoded and decoded on the way, and dropped at a seeded rate), from a
// cluster that knows nothing but its seeds. Time advances in 50 ms ticks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "libkv/membership/gossip_simulation.h"

namespace kv {

namespace {

constexpr uint64_t kSecond = 1'000'000;

// n nodes knowing nothing but the seeds (two, as an operator would configure; one for a
// 3-node cluster), phases on 50 ms ticks, messages lost at `loss`.
class GossipSim : public GossipSimulation {
 public:
  GossipSim(int n, uint64_t seed, double loss) : GossipSimulation(OptionsFor(n, seed, loss)) {}

  void RunSeconds(int seconds) { RunFor(seconds * kSecond); }
  // Ticks until Converged, at most `limit` seconds; the seconds it took, or nullopt.
  std::optional<double> RunUntilConverged(int limit_seconds) {
    std::optional<uint64_t> took = RunUntil([&] { return Converged(); }, limit_seconds * kSecond);
    if (!took) return std::nullopt;
    return static_cast<double>(*took) / kSecond;
  }
  void Kill(int i) { Stop(i); }

 private:
  static GossipSimulationOptions OptionsFor(int n, uint64_t seed, double loss) {
    GossipSimulationOptions o;
    o.nodes = n;
    o.seed = seed;
    o.loss = loss;
    o.tick_micros = 50'000;
    o.seeds = n >= 5 ? 2 : 1;
    o.start_known = false;
    o.vnodes = 16;
    return o;
  }
};

struct Spread {
  double min = 0, median = 0, max = 0;
};
Spread SpreadOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v.front(), v[v.size() / 2], v.back()};
}

TEST_CASE("gossip simulation: 3, 5 and 10 nodes converge from nothing but the seeds") {
  constexpr int kRuns = 20;
  for (double loss : {0.0, 0.1}) {
    for (int n : {3, 5, 10}) {
      std::vector<double> seconds;
      for (uint64_t seed = 1; seed <= kRuns; ++seed) {
        GossipSim sim(n, seed, loss);
        auto took = sim.RunUntilConverged(120);
        REQUIRE_MESSAGE(took.has_value(), "n=" << n << " seed=" << seed << " loss=" << loss);
        seconds.push_back(*took);
      }
      Spread s = SpreadOf(seconds);
      std::printf(
          "gossip convergence, %2d nodes, %2.0f%% message loss, seeds 1..%d: "
          "min %.2f s, median %.2f s, max %.2f s (1 round per second)\n",
          n, loss * 100, kRuns, s.min, s.median, s.max);
      CHECK(s.max < (loss == 0 ? 15 : 30));
    }
  }
}

TEST_CASE("gossip simulation: once converged, no live node is ever seen down (no loss)") {
  constexpr uint64_t kSeed = 7;
  std::printf("gossip simulation stability seed %llu\n", static_cast<unsigned long long>(kSeed));
  for (int n : {3, 5, 10}) {
    GossipSim sim(n, kSeed, 0.0);
    REQUIRE(sim.RunUntilConverged(60).has_value());
    int false_downs = 0;
    double max_phi = 0;
    for (int t = 0; t < 600 * 20; ++t) {
      sim.Tick();
      false_downs += sim.FalseDowns();
      max_phi = std::max(max_phi, sim.MaxPhiOfLiveNodes());
    }
    std::printf("%2d nodes, 600 s of gossip without loss: highest phi of a live node %.2f\n", n,
                max_phi);
    CHECK_MESSAGE(false_downs == 0, "n=" << n);
  }
  // With message loss, reported rather than asserted: each lost exchange delays heartbeats.
  for (int n : {5, 10}) {
    GossipSim sim(n, kSeed, 0.1);
    REQUIRE(sim.RunUntilConverged(60).has_value());
    int false_downs = 0;
    for (int t = 0; t < 600 * 20; ++t) {
      sim.Tick();
      false_downs += sim.FalseDowns();
    }
    std::printf(
        "%2d nodes, 600 s of gossip, 10%% message loss: %d of %d observer-ticks saw a "
        "live node down\n",
        n, false_downs, 600 * 20 * n * (n - 1));
  }
}

TEST_CASE("gossip simulation: a dead node is marked down by every other node") {
  for (int n : {3, 5, 10}) {
    std::vector<double> detections;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      GossipSim sim(n, seed, 0.0);
      REQUIRE(sim.RunUntilConverged(60).has_value());
      sim.RunSeconds(60);  // let the detectors learn the arrival pattern
      int victim = n - 1;
      uint64_t killed_at = sim.now();
      sim.Kill(victim);
      std::map<int, double> detected;
      while (static_cast<int>(detected.size()) < n - 1 && sim.now() - killed_at < 60 * kSecond) {
        sim.Tick();
        for (int i = 0; i < n - 1; ++i) {
          if (!detected.contains(i) && !sim.table(i).IsUp(sim.id(victim), sim.now())) {
            detected[i] = static_cast<double>(sim.now() - killed_at) / kSecond;
          }
        }
        CHECK(sim.FalseDowns() == 0);
      }
      REQUIRE_MESSAGE(static_cast<int>(detected.size()) == n - 1, "n=" << n << " seed=" << seed);
      for (const auto& [observer, seconds] : detected) detections.push_back(seconds);
    }
    Spread s = SpreadOf(detections);
    std::printf(
        "failure detection, %2d nodes, 1 s gossip, threshold 8, 10 seeds x %d observers: "
        "min %.2f s, median %.2f s, max %.2f s after the kill\n",
        n, n - 1, s.min, s.median, s.max);
    CHECK(s.max < 15);
  }
}

TEST_CASE("gossip simulation: a restarted node's new generation spreads, and it is up again") {
  constexpr uint64_t kSeed = 11;
  std::printf("gossip simulation restart seed %llu\n", static_cast<unsigned long long>(kSeed));
  for (int n : {3, 5, 10}) {
    GossipSim sim(n, kSeed, 0.0);
    REQUIRE(sim.RunUntilConverged(60).has_value());
    sim.RunSeconds(30);
    int victim = n / 2;
    uint64_t old_generation = sim.table(victim).self().generation;
    sim.Kill(victim);
    sim.RunSeconds(20);
    for (int i = 0; i < n; ++i) {
      if (i != victim) CHECK_FALSE(sim.table(i).IsUp(sim.id(victim), sim.now()));
    }
    sim.Restart(victim);
    CHECK(sim.table(victim).self().generation > old_generation);
    // Restored from its file: it knows everyone before it has heard from anyone, but as down.
    CHECK(static_cast<int>(sim.table(victim).states().size()) == n);
    auto took = sim.RunUntilConverged(60);
    REQUIRE(took.has_value());
    std::printf("restart of 1 of %2d nodes: new generation known and up everywhere after %.2f s\n",
                n, *took);
    const uint64_t new_generation = sim.table(victim).self().generation;
    for (int i = 0; i < n; ++i)
      CHECK(sim.table(i).Find(sim.id(victim))->generation == new_generation);
  }
}

}  // namespace
}  // namespace kv
