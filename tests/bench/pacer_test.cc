#include <doctest/doctest.h>

#include <chrono>

#include "tools/kvbench/workload_runner.h"

namespace kv::bench {

using namespace std::chrono_literals;

namespace {

bool Near(Pacer::Clock::time_point a, Pacer::Clock::time_point b) {
  return a - b < 1us && b - a < 1us;
}

}  // namespace

TEST_CASE("Pacer: operations are due on a fixed schedule, staggered over the workers") {
  const Pacer pacer(1000.0, 4);  // 250 a second per worker
  REQUIRE(pacer.paced());
  const auto origin = Pacer::Clock::now();
  // Worker 2's operation 3 is the 3 * 4 + 2 = 14th of the schedule: due 14 ms after the origin.
  const auto due = pacer.Wait(origin, 2, 3);
  CHECK(Near(due, origin + 14ms));
  CHECK(Pacer::Clock::now() >= due);  // it waited
  // A late operation is sent at once, its latency counted from when it was due.
  CHECK(Near(pacer.Wait(origin, 1, 0), origin + 1ms));
  CHECK(Near(pacer.Wait(origin, 0, 2), origin + 8ms));
}

TEST_CASE("Pacer: rate 0 does not pace — latency counts from the send") {
  const Pacer pacer(0, 4);
  CHECK_FALSE(pacer.paced());
  const auto origin = Pacer::Clock::now();
  const auto before = Pacer::Clock::now();
  const auto start = pacer.Wait(origin, 3, 1000000);  // would be due in 1000 s if paced
  CHECK(start >= before);
  CHECK(start - before < 1s);
}

}  // namespace kv::bench
