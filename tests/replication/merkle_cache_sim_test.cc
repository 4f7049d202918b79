// The responder's Merkle tree cache (AntiEntropy) under a peer that is authenticated but hostile
// or buggy: level requests naming peers outside the ring are refused, and requests with distinct
// ranges keep the cache within its share of the memory budget (issue 13: 150 level requests with
// distinct peer strings grew it to 3.2 GiB and held it for 30 s).
#include <doctest/doctest.h>

#include "libkv/node/memory_budget.h"
#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

TEST_CASE("merkle cache (sim): unknown peers are refused; distinct ranges stay within the share") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  for (int i = 0; i < 200; ++i) REQUIRE(cluster.Put("n1", fmt::format("k{}", i), "v").ok());
  AntiEntropy& ae = cluster.service("n1").anti_entropy();
  const size_t trees_before = ae.tree_cache().trees;

  MerkleLevelRequest fake{.range_start = 0,
                          .range_end = 0,
                          .depth = 16,
                          .level = 1,
                          .indices = {0, 1},
                          .peer = "no-such-peer"};
  Result<MerkleLevelResponse> refused = ae.AnswerLevel(fake);
  CHECK(refused.status().code() == ErrorCode::kInvalidArgument);
  CHECK(refused.status().message().find("not a node of this node's ring") != std::string::npos);
  CHECK(ae.tree_cache().trees == trees_before);

  // 150 requests from a real peer, each for a different range, at depth 16 (about 1.5 MiB a
  // tree): 225 MiB unbounded.
  const size_t share = SplitMemoryBudget(kDefaultMemoryBudget).merkle_cache_bytes;
  size_t largest_tree = 0;
  for (uint64_t i = 0; i < 150; ++i) {
    MerkleLevelRequest m{.range_start = i << 40,
                         .range_end = (i + 1) << 40,
                         .depth = 16,
                         .level = 1,
                         .indices = {0, 1},
                         .peer = "n2"};
    Result<MerkleLevelResponse> level = ae.AnswerLevel(m);
    REQUIRE(level.ok());
    const AntiEntropy::TreeCacheFigures now = ae.tree_cache();
    largest_tree = std::max(largest_tree, now.bytes / std::max<size_t>(now.trees, 1));
    CHECK(now.bytes <= share + largest_tree);
    CHECK(now.trees <= AntiEntropyOptions().tree_cache_entries + 1);
  }
  MESSAGE("Merkle cache after 150 ranges: " << ae.tree_cache().trees << " trees, "
                                            << ae.tree_cache().bytes << " bytes (share " << share
                                            << ")");
  CHECK(ae.tree_cache().trees >= 2);  // it still caches: a session's requests share a scan
  Result<StatsResponse> stats = cluster.Stats("n1");
  REQUIRE(stats.ok());
  CHECK(stats->merkle_cache_share == share);
  CHECK(stats->merkle_cache_bytes == ae.tree_cache().bytes);
}

}  // namespace
}  // namespace kv
