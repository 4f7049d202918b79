// kvring stats' answer (StatsRequest), from a node of a simulated cluster: its figures are the
// node's own and live — the block cache's hits grow as gets read a flushed table, and the CPU
// time is the process's and grows with the work it does.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <chrono>

#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

TEST_CASE("node stats: a node answers its own figures, and block cache hits grow after gets") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  for (int i = 0; i < 50; ++i)
    REQUIRE(cluster.Put("n1", fmt::format("key{}", i), fmt::format("value{}", i)).ok());
  // Gets read the tables (and so the block cache) only once the memtable is flushed.
  for (const char* id : {"n1", "n2", "n3"}) REQUIRE(cluster.engine(id).Flush().ok());

  Result<StatsResponse> before = cluster.Stats("n1");
  REQUIRE(before.ok());
  CHECK(before->id == "n1");
  CHECK(before->uptime_seconds > 0);
  CHECK(before->memory_budget == kDefaultMemoryBudget);
  CHECK(before->compression == "lz4");
  CHECK(before->tables >= 1);
  CHECK(before->flushes >= 1);
  CHECK(before->block_cache_capacity > 0);
  CHECK(before->block_cache_pinned > 0);  // the table's index and filter
  CHECK(before->hints_held == 0);

  // Every node replicates every key (N=3 of 3), so n1 reads its own table for each get; the
  // second round finds the blocks the first put in the cache.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 50; ++i) {
      Result<SimGet> got = cluster.Get("n1", fmt::format("key{}", i));
      REQUIRE(got.ok());
      CHECK(got->found);
    }
  }
  Result<StatsResponse> after = cluster.Stats("n1");
  REQUIRE(after.ok());
  CHECK(after->block_cache_hits > before->block_cache_hits);
  CHECK(after->block_cache_hits + after->block_cache_misses >
        before->block_cache_hits + before->block_cache_misses);
  CHECK(after->uptime_seconds >= before->uptime_seconds);
}

struct CpuMicros {
  uint64_t user = 0;
  uint64_t system = 0;
  uint64_t total() const { return user + system; }
};

CpuMicros ProcessCpu() {
  rusage usage{};
  REQUIRE(getrusage(RUSAGE_SELF, &usage) == 0);
  auto micros = [](const timeval& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000000 + static_cast<uint64_t>(t.tv_usec);
  };
  return {micros(usage.ru_utime), micros(usage.ru_stime)};
}

TEST_CASE("node stats: the CPU time is the process's, in microseconds, and grows with work") {
  SimCluster cluster(SimClusterOptions::Nodes(1));
  // The simulated node runs in this process, so its figure lies between two readings of the
  // process's own taken around the request: in microseconds, and neither stale nor made up.
  const CpuMicros low = ProcessCpu();
  Result<StatsResponse> before = cluster.Stats("n1");
  const CpuMicros high = ProcessCpu();
  REQUIRE(before.ok());
  CHECK(low.user <= before->cpu_user_micros);
  CHECK(before->cpu_user_micros <= high.user);
  CHECK(low.system <= before->cpu_system_micros);
  CHECK(before->cpu_system_micros <= high.system);

  // Work until the process has spent 50 ms more CPU (however loaded the machine, however long
  // that takes, up to a bound); the node's figure must have grown by as much.
  constexpr uint64_t kWorkMicros = 50000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int i = 0;
  while (ProcessCpu().total() < high.total() + kWorkMicros &&
         std::chrono::steady_clock::now() < deadline) {
    REQUIRE(cluster.Put("n1", fmt::format("key{}", i), "value").ok());
    ++i;
  }
  Result<StatsResponse> after = cluster.Stats("n1");
  REQUIRE(after.ok());
  MESSAGE(i << " puts; node CPU " << before->cpu_user_micros + before->cpu_system_micros << " -> "
            << after->cpu_user_micros + after->cpu_system_micros << " us");
  CHECK(after->cpu_user_micros + after->cpu_system_micros >=
        before->cpu_user_micros + before->cpu_system_micros + kWorkMicros);
  CHECK(after->cpu_user_micros >= before->cpu_user_micros);
  CHECK(after->cpu_system_micros >= before->cpu_system_micros);
}

}  // namespace
}  // namespace kv
