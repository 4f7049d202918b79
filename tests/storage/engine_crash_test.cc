// Power loss: writers with sync batch over a FaultInjectionEnv; at a random point the disk stops
// (SetFilesystemActive(false)), the engine is abandoned, unsynced bytes are dropped
// (SimulateCrash) and the store is reopened. Every acknowledged write must be there with its
// value; a write that failed may or may not be; nothing else may ever be returned.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "libkv/env/env.h"
#include "libkv/env/fault_injection_env.h"
#include "libkv/storage/engine.h"
#include "tests/storage/quiet_logger.h"

namespace kv {
namespace {

// What one key may hold after a crash: the last acknowledged write (nullopt: deleted or never
// written) or any write after it that failed (it may have reached the disk).
struct KeyModel {
  std::optional<std::string> acked;
  std::set<std::optional<std::string>> maybe;
  std::set<std::string> older;  // acknowledged values that were overwritten
};

}  // namespace

TEST_CASE("engine crash: acknowledged writes survive simulated power loss") {
  const uint64_t seed = 1125;
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  auto mem = NewMemEnv();
  FaultInjectionEnv env(mem.get());
  EngineOptions o;
  o.env = &env;
  o.dir = "/crash";
  o.memtable_bytes = 16 << 10;  // flushes and compactions all the time
  o.table.block_bytes = 512;
  o.logger = testing::QuietLogger();

  constexpr int kThreads = 4;
  constexpr int kKeysPerThread = 200;
  std::vector<std::map<std::string, KeyModel>> models(kThreads);
  std::atomic<uint64_t> acknowledged{0};
  uint64_t missing = 0, wrong = 0, cycles = 0, failed_opens = 0;

  for (int cycle = 0; cycle < 200; cycle++) {
    cycles++;
    auto opened = Engine::Open(o);
    if (!opened.ok()) {
      failed_opens++;
      FAIL_CHECK("open after crash failed: " << opened.status().ToString());
      break;
    }
    std::unique_ptr<Engine> engine = std::move(*opened);

    // Check the previous cycles' acknowledged writes, then start from what is actually there.
    for (int t = 0; t < kThreads; t++) {
      for (auto& [key, m] : models[t]) {
        auto got = engine->Get(key);
        if (!got.ok()) {
          wrong++;
          FAIL_CHECK("get " << key << ": " << got.status().ToString());
          continue;
        }
        if (*got == m.acked || m.maybe.count(*got)) {
          m.acked = *got;
        } else if (!got->has_value() || m.older.count(**got)) {
          missing++;
          FAIL_CHECK("lost acknowledged write of " << key);
        } else {
          wrong++;
          FAIL_CHECK("wrong value for " << key << ": " << **got);
        }
        m.maybe.clear();
        m.older.clear();
        m.acked = *got;
      }
    }

    const uint64_t crash_after = 200 + rng() % 1500;
    std::atomic<uint64_t> ops{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
      threads.emplace_back([&, t, thread_seed = rng()] {
        std::mt19937_64 r(thread_seed);
        auto& model = models[t];
        for (int i = 0;; i++) {
          const std::string key = fmt::format("t{}-key{}", t, r() % kKeysPerThread);
          KeyModel& m = model[key];
          std::optional<std::string> value;
          if (r() % 5 != 0)
            value = fmt::format("{}-c{}-i{}-{}", key, cycle, i, std::string(r() % 300, 'v'));
          if (ops.fetch_add(1) == crash_after) env.SetFilesystemActive(false);
          Status s = value ? engine->Put(key, *value) : engine->Delete(key);
          if (s.ok()) {
            acknowledged++;
            if (m.acked) m.older.insert(*m.acked);
            for (const auto& v : m.maybe)
              if (v) m.older.insert(*v);
            m.maybe.clear();
            m.acked = value;
          } else {
            m.maybe.insert(value);
            if (!env.filesystem_active()) return;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    engine.reset();
    REQUIRE(env.SimulateCrash().ok());
    env.SetFilesystemActive(true);
  }
  MESSAGE(fmt::format("cycles {} acknowledged {} missing {} wrong {}", cycles, acknowledged.load(),
                      missing, wrong));
  CHECK(missing == 0);
  CHECK(wrong == 0);
  CHECK(failed_opens == 0);
}

}  // namespace kv
