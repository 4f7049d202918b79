// Merkle-tree anti-entropy (kvrepair's RepairRequest) in a whole cluster over the simulated
// network: a replica that missed writes (no hinted handoff) is healed, a second repair finds
// nothing (riak_test's verify_aae), and concurrent versions meet as siblings, never by last write.
#include <doctest/doctest.h>

#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

TEST_CASE("repair (sim): a replica that missed writes is healed — a second repair finds nothing") {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  SimCluster cluster(options);
  cluster.network().Crash(SimCluster::AddressOf("n3"));
  constexpr int kKeys = 200;
  for (int i = 0; i < kKeys; ++i)
    REQUIRE(cluster.Put("n1", fmt::format("key-{}", i), fmt::format("v{}", i)).ok());
  cluster.network().Recover(SimCluster::AddressOf("n3"));
  // The control: nothing brought the writes to n3 (no hints, no reads).
  int missing = 0;
  for (int i = 0; i < kKeys; ++i)
    missing += cluster.StoredAt("n3", fmt::format("key-{}", i)).empty();
  REQUIRE(missing == kKeys);

  RepairResponse repaired = cluster.RepairAll("n3");
  CHECK(repaired.replicas_unreachable == 0);
  // Each key differed with both peers: fetched from the first, found equal at the second.
  CHECK(repaired.keys_repaired >= kKeys);
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = fmt::format("key-{}", i);
    CHECK(cluster.StoredAt("n3", key) == cluster.StoredAt("n1", key));
  }
  // Only the differing keys crossed: far fewer bytes than comparing every key would take.
  RepairResponse again = cluster.RepairAll("n3");
  CHECK(again.keys_repaired == 0);
  CHECK(again.keys_compared == 0);
}

TEST_CASE("repair (sim): versions written on both sides of a partition meet as siblings") {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  SimCluster cluster(options);
  cluster.network().Partition(
      {{SimCluster::AddressOf("n1"), SimCluster::AddressOf("n2")}, {SimCluster::AddressOf("n3")}});
  REQUIRE(cluster.Put("n1", "cart", "milk").ok());
  REQUIRE(cluster.Put("n3", "cart", "eggs", {}, 1).ok());
  cluster.network().Heal();
  RepairResponse repaired = cluster.RepairAll("n1");
  CHECK(repaired.replicas_unreachable == 0);
  CHECK(repaired.keys_repaired >= 1);
  for (const char* id : {"n1", "n2", "n3"}) {
    SiblingSet set = cluster.StoredAt(id, "cart");
    std::vector<std::string> values;
    for (const Version& v : set.versions()) values.push_back(v.value);
    std::sort(values.begin(), values.end());
    CHECK(values == std::vector<std::string>{"eggs", "milk"});
  }
}

TEST_CASE("repair (sim): an unreachable replica is reported") {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  SimCluster cluster(options);
  REQUIRE(cluster.Put("n1", "k", "v").ok());
  cluster.network().Crash(SimCluster::AddressOf("n2"));
  RepairResponse repaired = cluster.RepairAll("n1");
  CHECK(repaired.replicas_unreachable >= 1);
}

TEST_CASE("repair (sim): background anti-entropy heals a replica that missed writes on its own") {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  options.anti_entropy_interval = std::chrono::seconds(1);
  SimCluster cluster(options);
  cluster.network().Crash(SimCluster::AddressOf("n3"));
  constexpr int kKeys = 50;
  for (int i = 0; i < kKeys; ++i)
    REQUIRE(cluster.Put("n1", fmt::format("key-{}", i), fmt::format("v{}", i)).ok());
  cluster.network().Recover(SimCluster::AddressOf("n3"));
  CHECK(SimCluster::Eventually(
      [&] {
        for (int i = 0; i < kKeys; ++i)
          if (cluster.StoredAt("n3", fmt::format("key-{}", i)).empty()) return false;
        return true;
      },
      std::chrono::seconds(15)));
}

}  // namespace
}  // namespace kv
