// The write slow-down: the pure throttle rule, and an engine whose flushes are slower than its
// writers (a table rate-limited Env): writes are delayed, the memtables never hold more than
// their budget, and nothing written is lost.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "libkv/env/env.h"
#include "libkv/storage/commit_log_format.h"
#include "libkv/storage/compaction.h"
#include "libkv/storage/engine.h"
#include "libkv/storage/write_slowdown.h"
#include "tests/storage/quiet_logger.h"
#include "tests/storage/slow_table_env.h"

namespace kv {

TEST_CASE("write slowdown: no delay under the soft limits, a growing one up to the hard limits") {
  WriteLoad load{.memtable_content = 0,
                 .memtable_bytes = 1 << 20,
                 .max_immutable_memtables = 3,
                 .runs = 1,
                 .compaction_running = true};
  CHECK(ThrottleFor(load).pressure == 0);
  load.memtable_content = 2 << 20;  // the active memtable and one flushing: the normal case
  CHECK(ThrottleFor(load).pressure == 0);
  CHECK(ThrottleFor(load).DelayFor(1 << 20).count() == 0);

  double last = 0;
  for (uint64_t step = 1; step <= 8; step++) {
    load.memtable_content = (2 << 20) + step * (256 << 10);
    const WriteThrottle t = ThrottleFor(load);
    CHECK(t.pressure > last);  // strictly growing: a smooth slope, no step to a fixed stall
    CHECK_FALSE(t.stop_for_runs);
    last = t.pressure;
  }
  CHECK(last == 1);
  // At the hard limit a write owes 1 us a byte (writes go at 1 MB/s); a tenth of the way, a
  // tenth of that (10 MB/s); just past the soft limit, next to nothing.
  CHECK(ThrottleFor(load).DelayFor(1000).count() == 1000000);
  load.memtable_content = (2 << 20) + (2 << 20) / 10;
  CHECK(ThrottleFor(load).DelayFor(1000).count() == doctest::Approx(100000).epsilon(0.01));
  load.memtable_content = (2 << 20) + 1024;
  CHECK(ThrottleFor(load).DelayFor(1000).count() < 1000);

  load.memtable_content = 0;
  load.runs = kMaxRuns + 2;
  CHECK(ThrottleFor(load).pressure == 0);
  load.runs = kMaxRuns + 6;
  CHECK(ThrottleFor(load).pressure > 0);
  CHECK_FALSE(ThrottleFor(load).stop_for_runs);
  load.runs = 2 * kMaxRuns;
  CHECK(ThrottleFor(load).stop_for_runs);
  // Compaction stopped on an error: runs will not drop, so they neither delay nor stop writes.
  load.compaction_running = false;
  CHECK(ThrottleFor(load).pressure == 0);
  CHECK_FALSE(ThrottleFor(load).stop_for_runs);

  // One immutable memtable at most: soft limit one memtable, hard limit two.
  load = WriteLoad{.memtable_content = (1 << 20) + (512 << 10),
                   .memtable_bytes = 1 << 20,
                   .max_immutable_memtables = 1,
                   .runs = 0,
                   .compaction_running = true};
  CHECK(ThrottleFor(load).pressure == 0.5);
}

TEST_CASE("write slowdown: writers faster than flushes are slowed and memtables stay in budget") {
  auto mem_env = NewMemEnv();
  SlowTableEnv env(mem_env.get(), 4 << 20);  // tables at 4 MB/s: flushes lag the writers
  EngineOptions o;
  o.env = &env;
  o.dir = "/db";
  o.sync = SyncMode::kOff;
  o.memtable_bytes = 256 << 10;
  o.max_immutable_memtables = 3;
  o.logger = testing::QuietLogger();
  // Positive control (by hand): without a hard limit the memtables outgrow it and the test fails.
  const bool unbounded = std::getenv("KV_TEST_UNBOUNDED_MEMTABLES") != nullptr;
  if (unbounded) o.max_immutable_memtables = 100000;
  auto engine = Engine::Open(o);
  REQUIRE(engine.ok());
  Engine& db = **engine;

  constexpr int kThreads = 4;
  constexpr int kPerThread = 15000;
  const std::string value(100, 'v');
  std::atomic<bool> writing{true};
  std::atomic<uint64_t> sampled_peak{0};
  std::thread sampler([&] {
    while (writing.load()) {
      const uint64_t now = db.stats().memtable_memory;
      if (now > sampled_peak.load()) sampled_peak.store(now);
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  std::vector<std::chrono::microseconds> slowest(kThreads);
  for (int t = 0; t < kThreads; t++) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++) {
        const auto start = std::chrono::steady_clock::now();
        if (!db.Put(fmt::format("k{}-{:08}", t, (i * 7919) % kPerThread), value).ok()) failures++;
        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - start);
        slowest[t] = std::max(slowest[t], took);
      }
    });
  }
  for (auto& w : writers) w.join();
  writing = false;
  sampler.join();
  CHECK(failures == 0);

  const EngineStats st = db.stats();
  // Each memtable: its content limit, the arena's last block, its hash index, one write group.
  const uint64_t per_memtable = o.memtable_bytes + (256 << 10) + (32 << 10) + (16 << 10);
  const uint64_t limit = (1 + (unbounded ? 3 : o.max_immutable_memtables)) * per_memtable;
  MESSAGE(fmt::format(
      "memtable memory peak {} KiB (sampled {} KiB, limit {} KiB); {} delays, {} us in all; {} "
      "stalls, {} us in all; slowest write {} us; {} flushes",
      st.memtable_memory_peak >> 10, sampled_peak.load() >> 10, limit >> 10, st.write_delays,
      st.write_delay_micros, st.write_stalls, st.write_stall_micros,
      std::max_element(slowest.begin(), slowest.end())->count(), st.flushes));
  CHECK(st.memtable_memory_peak <= limit);
  CHECK(sampled_peak.load() <= limit);
  CHECK(st.write_delays > 0);  // the writers did outrun the flushes and were slowed

  for (int t = 0; t < kThreads; t++) {
    for (int i = 0; i < kPerThread; i += 97) {
      auto got = db.Get(fmt::format("k{}-{:08}", t, i));
      REQUIRE(got.ok());
      CHECK(got->has_value());
    }
  }
}

}  // namespace kv
