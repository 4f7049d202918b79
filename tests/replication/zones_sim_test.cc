// Zones in a whole cluster over the simulated network (issue 16): 3 zones of 2 nodes, N=3,
// R=W=2. Every node of one zone crashes; every key still reads and writes at R=W=2, since each
// key has one replica per zone. Once the zone returns, hinted handoff and repair leave every key's
// latest value in each zone. The positive control: the same nodes without zones (plain ring
// order) and the same crash leave some keys unreadable.
#include <doctest/doctest.h>

#include <set>

#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

constexpr int kKeys = 40;
const std::vector<std::string> kZoneA = {"n1", "n2"};

SimClusterOptions SixNodes(bool zones) {
  SimClusterOptions options = SimClusterOptions::Nodes(6);
  if (zones)
    options.zones = {{"n1", "a"}, {"n2", "a"}, {"n3", "b"}, {"n4", "b"}, {"n5", "c"}, {"n6", "c"}};
  return options;
}

std::string Key(int i) {
  return fmt::format("zone-key-{}", i);
}

void CrashZoneA(SimCluster& cluster) {
  for (const std::string& id : kZoneA) cluster.network().Crash(SimCluster::AddressOf(id));
  REQUIRE(SimCluster::Eventually([&] {
    for (const char* other : {"n3", "n4", "n5", "n6"})
      for (const std::string& id : kZoneA)
        if (cluster.SeesUp(other, id)) return false;
    return true;
  }));
}

// The coordinator of key i among the live nodes n3..n6.
std::string Via(int i) {
  return fmt::format("n{}", 3 + i % 4);
}

}  // namespace

TEST_CASE(
    "zones (sim): losing a whole zone stops no read or write at R=W=2, and on its return "
    "handoff and repair put every key back in each zone") {
  SimCluster cluster(SixNodes(true));
  for (int i = 0; i < kKeys; ++i) REQUIRE(cluster.Put(Via(i), Key(i), "v1").ok());
  CrashZoneA(cluster);

  for (int i = 0; i < kKeys; ++i) {
    Result<SimGet> got = cluster.Get(Via(i), Key(i), 2);
    REQUIRE_MESSAGE(got.ok(), Key(i), ": ", got.status().ToString());
    CHECK(got->Values() == std::vector<std::string>{"v1"});
    Status put = cluster.Put(Via(i + 1), Key(i), "v2", got->context, 2);
    CHECK_MESSAGE(put.ok(), Key(i), ": ", put.ToString());
  }

  // The zone returns, as after kill -9: its nodes restart on their data.
  for (const std::string& id : kZoneA) cluster.Restart(id);
  cluster.WaitUntilAllUp();
  REQUIRE(SimCluster::Eventually(
      [&] {
        for (const char* holder : {"n1", "n2", "n3", "n4", "n5", "n6"})
          for (const auto& [target, backlog] : cluster.service(holder).hints().PendingCounts())
            if (backlog.hints > 0) return false;
        return true;
      },
      std::chrono::seconds(20)));
  for (const char* id : {"n1", "n2", "n3", "n4", "n5", "n6"}) cluster.RepairAll(id);

  std::shared_ptr<const ClusterView> view = cluster.service("n1").gossiper().view();
  for (int i = 0; i < kKeys; ++i) {
    std::set<std::string> zones_with_v2;
    for (const char* id : {"n1", "n2", "n3", "n4", "n5", "n6"}) {
      const SiblingSet stored = cluster.StoredAt(id, Key(i));
      for (const Version& v : stored.versions())
        if (!v.tombstone && v.value == "v2" && stored.versions().size() == 1)
          zones_with_v2.insert(std::string(view->ring->ZoneOf(id)));
    }
    const std::set<std::string> every_zone = {"a", "b", "c"};
    CHECK_MESSAGE(zones_with_v2 == every_zone, Key(i));
  }
}

TEST_CASE(
    "zones (sim): the positive control — without zones the same crash leaves keys "
    "unreadable at R=2") {
  SimCluster cluster(SixNodes(false));
  for (int i = 0; i < kKeys; ++i) REQUIRE(cluster.Put(Via(i), Key(i), "v1").ok());
  CrashZoneA(cluster);
  int unreadable = 0;
  for (int i = 0; i < kKeys; ++i)
    if (!cluster.Get(Via(i), Key(i), 2).ok()) ++unreadable;
  MESSAGE(unreadable, " of ", kKeys, " keys unreadable at R=2 without zones");
  CHECK(unreadable > 0);
}

}  // namespace kv
