// kvring stats' answer (StatsRequest), from a node of a simulated cluster: its figures are the
// node's own and live — the block cache's hits grow as gets read a flushed table.
#include <doctest/doctest.h>

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

}  // namespace
}  // namespace kv
