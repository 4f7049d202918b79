// The node's memory budget: how it splits, and that an engine opened as kvnode opens it keeps the
// process's resident memory within the budget while it loads four times the budget, on a disk
// slower than the writers (tables at a fixed rate), so flushes lag and memtables would pile up.
//
// Positive controls (by hand): KV_TEST_UNBOUNDED_MEMTABLES=1 lifts the memtable limit (thousands
// of immutable memtables allowed), KV_TEST_MAP_TABLES=1 maps the tables as the engine did before
// the budget; either way the RSS check fails (peaks of 107 and 210 MiB were measured).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "libkv/net/wire_format.h"
#include "libkv/node/memory_budget.h"
#include "libkv/node/node_config.h"
#include "tests/node/test_node.h"
#include "tests/storage/slow_table_env.h"

namespace kv {

TEST_CASE("memory budget: the split adds up and keeps room for a largest request") {
  for (size_t total : {kMinMemoryBudget, size_t{64} << 20, kDefaultMemoryBudget, size_t{4} << 30}) {
    const MemoryBudget b = SplitMemoryBudget(total);
    CHECK(b.total == total);
    CHECK(b.memtable_share + b.block_cache_bytes + b.connection_bytes + b.merkle_cache_bytes +
              b.repair_session_bytes ==
          total);
    CHECK(b.merkle_cache_bytes == (total - b.connection_bytes) / 16);
    CHECK(b.repair_session_bytes == (total - b.connection_bytes) / 32);
    CHECK(b.connection_bytes >= wire::kMaxFrameLength);
    CHECK(b.max_immutable_memtables >= 2);
    CHECK(b.memtable_bytes >= (1 << 20));
    CHECK(b.memtable_bytes <= (8 << 20));
    // The memtables with their hash indexes and arena slack fit in their share.
    CHECK((b.max_immutable_memtables + 1) * (b.memtable_bytes + b.memtable_bytes / 8) <=
          b.memtable_share);
  }
  const MemoryBudget d = SplitMemoryBudget(kDefaultMemoryBudget);
  CHECK(d.memtable_bytes == (8 << 20));  // the engine's measured default
  CHECK(d.connection_bytes == (32 << 20));
  // An explicit memtable size splits the same share into fewer, larger memtables.
  const MemoryBudget big = SplitMemoryBudget(kDefaultMemoryBudget, 32 << 20);
  CHECK(big.memtable_bytes == (32 << 20));
  CHECK(big.max_immutable_memtables == 1);

  NodeConfig c;
  CHECK(ValidateNodeConfig(c).ok());
  c.memory_budget = 16 << 20;
  CHECK(ValidateNodeConfig(c).Is(ErrorCode::kInvalidArgument));
  c.memory_budget = 64 << 20;
  c.memtable_bytes = 64 << 20;  // cannot hold two of them
  CHECK(ValidateNodeConfig(c).Is(ErrorCode::kInvalidArgument));
  c.memtable_bytes = 0;
  c.block_cache_bytes = 1 << 20;
  const EngineOptions o = EngineOptionsFor(c, PosixEnv());
  CHECK(o.block_cache_bytes == (1 << 20));  // given, not derived
  CHECK(o.memtable_bytes == SplitMemoryBudget(64 << 20).memtable_bytes);
}

TEST_CASE("memory budget: resident memory stays within a 64 MiB budget while loading 256 MiB") {
  if (!kRssIsMeaningful) {
    MESSAGE("skipped: RSS under AddressSanitizer is not the code's");
    return;
  }
  const std::string dir = TempDir("memory-budget");
  REQUIRE(!dir.empty());
  NodeConfig config;
  config.data_dir = dir;
  config.memory_budget = 64 << 20;
  config.sync = SyncMode::kOff;            // the load is limited by flushes, not by fsyncs
  SlowTableEnv env(PosixEnv(), 48 << 20);  // tables at 48 MB/s: slower than the writers
  EngineOptions options = EngineOptionsFor(config, &env);
  options.logger = QuietLogger();
  if (std::getenv("KV_TEST_UNBOUNDED_MEMTABLES")) options.max_immutable_memtables = 100000;
  if (std::getenv("KV_TEST_MAP_TABLES")) options.map_tables = true;

  const uint64_t base_rss = ProcStatusBytes("VmRSS");
  uint64_t peak_rss = 0, peak_anon = 0, peak_file = 0;
  EngineStats st;
  {
    auto engine = Engine::Open(options);
    REQUIRE(engine.ok());
    Engine& db = **engine;

    std::atomic<bool> loading{true};
    std::thread sampler([&] {
      while (loading.load()) {
        peak_rss = std::max(peak_rss, ProcStatusBytes("VmRSS"));
        peak_anon = std::max(peak_anon, ProcStatusBytes("RssAnon"));
        peak_file = std::max(peak_file, ProcStatusBytes("RssFile"));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    constexpr int kThreads = 4;
    constexpr uint64_t kLoadBytes = uint64_t{256} << 20;
    constexpr int kValueBytes = 1000;
    constexpr int kPerThread = static_cast<int>(kLoadBytes / kValueBytes / kThreads);
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < kThreads; t++) {
      writers.emplace_back([&, t] {
        std::string value(kValueBytes, '\0');
        uint64_t x = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(t + 1);
        for (int i = 0; i < kPerThread; i++) {
          // Distinct keys in a scattered order, so every byte stays live and compactions merge;
          // values of random bytes, so compression cannot shrink the load below the budget.
          const uint64_t k = (static_cast<uint64_t>(i) * 2654435761u) % kPerThread;
          for (size_t j = 0; j + 8 <= value.size(); j += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            std::memcpy(value.data() + j, &x, sizeof(x));
          }
          if (!db.Put(fmt::format("key-{}-{:010}", t, k), value).ok()) failures++;
        }
      });
    }
    for (auto& w : writers) w.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    loading = false;
    sampler.join();
    CHECK(failures == 0);
    st = db.stats();
    MESSAGE(fmt::format(
        "loaded {} MiB in {:.1f} s; RSS {} MiB at start, peak {} MiB (anon {} MiB, file {} MiB); "
        "memtable memory peak {} MiB; index and filters {} MiB; {} tables, {} MiB on disk; {} "
        "delays ({} ms), {} stalls ({} ms)",
        kLoadBytes >> 20, seconds, base_rss >> 20, peak_rss >> 20, peak_anon >> 20, peak_file >> 20,
        st.memtable_memory_peak >> 20, st.table_index_memory >> 20, st.tables, st.table_bytes >> 20,
        st.write_delays, st.write_delay_micros / 1000, st.write_stalls,
        st.write_stall_micros / 1000));
    CHECK(st.table_bytes > 2 * config.memory_budget);  // the data did go past the budget
  }
  std::filesystem::remove_all(dir);
  // What the process gained while loading is within the budget.
  CHECK(peak_rss - base_rss <= config.memory_budget);
}

}  // namespace kv
