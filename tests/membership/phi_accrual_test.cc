#include "libkv/membership/phi_accrual.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>

namespace kv {
namespace {

constexpr uint64_t kSecond = 1'000'000;
constexpr uint64_t kStart = 1000 * kSecond;  // any origin

// Feeds `beats` heartbeats `interval` apart from `start`; returns the time of the last.
uint64_t BeatRegularly(PhiAccrualDetector* d, uint64_t start, uint64_t interval, int beats) {
  uint64_t t = start;
  for (int i = 0; i < beats; ++i, t += interval) d->Heartbeat("p", t);
  return t - interval;
}

// The first time, scanning in 10 ms steps from `from`, at which the peer is down.
uint64_t FirstDown(const PhiAccrualDetector& d, uint64_t from) {
  uint64_t t = from;
  while (d.IsUp("p", t)) t += 10'000;
  return t;
}

TEST_CASE("phi accrual: a peer never heard from is down — one just heard from is up") {
  PhiAccrualDetector d;
  CHECK_FALSE(d.IsUp("p", kStart));
  CHECK_FALSE(d.LastHeartbeat("p").has_value());
  d.Heartbeat("p", kStart);
  CHECK(d.IsUp("p", kStart));
  CHECK(d.Phi("p", kStart) < 1);
  // The bootstrap interval keeps a new peer up for a while, but not for ever.
  CHECK(d.IsUp("p", kStart + 2 * kSecond));
  CHECK_FALSE(d.IsUp("p", kStart + 60 * kSecond));
}

TEST_CASE("phi accrual: regular 1 s heartbeats stay up — silence convicts within a few seconds") {
  PhiAccrualDetector d;
  uint64_t last = BeatRegularly(&d, kStart, kSecond, 120);
  // Up right up to (and a little past) the next expected beat.
  for (uint64_t t = last; t <= last + kSecond + kSecond / 2; t += 100'000) {
    CHECK(d.IsUp("p", t));
  }
  // phi grows as the silence does.
  CHECK(d.Phi("p", last + 2 * kSecond) < d.Phi("p", last + 3 * kSecond));
  uint64_t down = FirstDown(d, last);
  double seconds = static_cast<double>(down - last) / kSecond;
  std::printf("phi accrual (normal, threshold 8): 1 s heartbeats, down %.2f s after the last\n",
              seconds);
  CHECK(seconds > 1.5);
  CHECK(seconds < 5.0);
  CHECK(d.Phi("p", down) >= 8);
}

TEST_CASE("phi accrual: detection time follows the threshold and the heartbeat interval") {
  for (double threshold : {4.0, 8.0, 12.0}) {
    PhiAccrualOptions o;
    o.threshold = threshold;
    PhiAccrualDetector d(o);
    uint64_t last = BeatRegularly(&d, kStart, kSecond, 100);
    uint64_t down = FirstDown(d, last);
    std::printf("phi accrual: threshold %4.1f, 1 s heartbeats: down after %.2f s\n", threshold,
                static_cast<double>(down - last) / kSecond);
  }
  PhiAccrualOptions o;
  PhiAccrualDetector fast(o);
  PhiAccrualDetector slow(o);
  uint64_t last_fast = BeatRegularly(&fast, kStart, kSecond / 2, 200);
  uint64_t last_slow = BeatRegularly(&slow, kStart, 2 * kSecond, 100);
  CHECK(FirstDown(fast, last_fast) - last_fast < FirstDown(slow, last_slow) - last_slow);
}

TEST_CASE("phi accrual: a peer is up again as soon as heartbeats resume") {
  PhiAccrualDetector d;
  uint64_t last = BeatRegularly(&d, kStart, kSecond, 60);
  uint64_t resume = last + 30 * kSecond;
  CHECK_FALSE(d.IsUp("p", resume - 1));
  d.Heartbeat("p", resume);
  CHECK(d.IsUp("p", resume));
  // The 30 s outage was not taken as a sample: silence after the resumption convicts as fast as
  // before it.
  uint64_t last_after = BeatRegularly(&d, resume + kSecond, kSecond, 5);
  PhiAccrualDetector fresh;
  uint64_t last_fresh = BeatRegularly(&fresh, kStart, kSecond, 65);
  CHECK(FirstDown(d, last_after) - last_after == FirstDown(fresh, last_fresh) - last_fresh);
  CHECK(d.LastHeartbeat("p") == last_after);
}

TEST_CASE("phi accrual: jittery heartbeats produce no false downs (seeded)") {
  constexpr uint64_t kSeed = 20261125;
  std::printf("phi accrual jitter test seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  // Gossip-like arrivals: mostly about a second apart (+-40%), now and then one round missed.
  std::uniform_int_distribution<uint64_t> jitter(600'000, 1'400'000);
  std::bernoulli_distribution missed(0.1);
  PhiAccrualDetector d;
  uint64_t t = kStart;
  d.Heartbeat("p", t);
  int false_downs = 0;
  for (int i = 0; i < 3600; ++i) {
    uint64_t gap = jitter(rng) + (missed(rng) ? kSecond : 0);
    for (uint64_t probe = t; probe < t + gap; probe += 100'000) {
      if (!d.IsUp("p", probe)) ++false_downs;
    }
    t += gap;
    d.Heartbeat("p", t);
  }
  CHECK(false_downs == 0);
  uint64_t down = FirstDown(d, t);
  std::printf("phi accrual: jittery heartbeats, down %.2f s after the last\n",
              static_cast<double>(down - t) / kSecond);
  CHECK(down - t < 10 * kSecond);
}

TEST_CASE("phi accrual: Forget drops a peer — peers are independent") {
  PhiAccrualDetector d;
  BeatRegularly(&d, kStart, kSecond, 10);
  d.Heartbeat("q", kStart);
  d.Forget("p");
  CHECK_FALSE(d.IsUp("p", kStart + 10 * kSecond));
  CHECK(d.IsUp("q", kStart));
  // A clock that goes back is not a negative interval.
  d.Heartbeat("q", kStart - kSecond);
  CHECK(d.LastHeartbeat("q") == kStart);
}

}  // namespace
}  // namespace kv
