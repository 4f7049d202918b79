// kvring remove in a whole cluster over the simulated network: a node killed for good is taken
// out of the ring by another node, the nodes that gained its ranges fetch them from the remaining
// replicas, and then every key is back to N copies and repairs converge (and are recorded for
// tombstone GC) again. The control is inside the test: the removal alone moves no key. Also the
// refusals: a node that is up, and too few nodes left without --force.
#include <doctest/doctest.h>

#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

constexpr int kKeys = 300;

std::string Key(int i) {
  return fmt::format("key-{}", i);
}

// Copies missing on `nodes`, which (N = their number) should each hold every key.
int MissingCopies(SimCluster& cluster, const std::vector<std::string>& nodes) {
  int missing = 0;
  for (int i = 0; i < kKeys; ++i)
    for (const std::string& id : nodes) missing += cluster.StoredAt(id, Key(i)).empty();
  return missing;
}

TEST_CASE(
    "remove (sim): a dead node is removed, every key is back to N copies and repair converges "
    "again") {
  SimCluster cluster(SimClusterOptions::Nodes(4));
  for (int i = 0; i < kKeys; ++i) REQUIRE(cluster.Put("n1", Key(i), "v", {}, /*w=*/3).ok());
  cluster.network().Crash(SimCluster::AddressOf("n4"));  // for good
  const std::vector<std::string> three = {"n1", "n2", "n3"};
  REQUIRE(SimCluster::Eventually([&] {
    for (const std::string& id : three)
      if (cluster.SeesUp(id, "n4")) return false;
    return true;
  }));
  // While it is in the ring, no repair converges: tombstones could never be purged.
  CHECK(cluster.RepairAll("n1").replicas_unreachable > 0);

  Result<RemoveResponse> removed = cluster.Remove("n1", "n4");
  REQUIRE(removed.ok());
  CHECK(removed->streams_to == three);  // with N=3 of 3 left, each holds every key now
  REQUIRE(SimCluster::Eventually([&] { return cluster.RingIs(three, three); }));
  // The control: taking it out of the ring moved no key; n4's copies are missing.
  CHECK(MissingCopies(cluster, three) > 0);

  for (const std::string& id : removed->streams_to) {
    Result<RepairResponse> streamed =
        cluster.Repair(id, RepairRequest{.range_start = 0, .range_end = 0});
    REQUIRE(streamed.ok());
    CHECK(streamed->replicas_unreachable == 0);
  }
  CHECK(MissingCopies(cluster, three) == 0);
  for (const std::string& id : three) {
    const RepairResponse repaired = cluster.RepairAll(id);
    CHECK(repaired.replicas_unreachable == 0);
    CHECK(repaired.keys_repaired == 0);
    CHECK(cluster.tombstone_gc(id).LastCompleteRepair(KeyToken(Key(0))) > 0);
  }
  // Asking again is refused: it has left.
  Result<RemoveResponse> again = cluster.Remove("n2", "n4");
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().message().find("already left") != std::string::npos);

  // kvring lists it as left while its removal is recent; a node that restarts (and so has not
  // heard of it in this life) lists it no more, but still knows it left.
  auto listed = [&](const std::string& via) {
    const RingResponse ring = cluster.service(via).gossiper().Describe("", QuorumSettings{});
    for (const RingNodeInfo& n : ring.nodes)
      if (n.id == "n4") return n.state;
    return std::string();
  };
  CHECK(listed("n2") == "left");
  cluster.Restart("n2");
  CHECK(listed("n2").empty());
  CHECK(cluster.RingIs({"n2"}, three));
}

TEST_CASE("remove (sim): a node that is up is never removed") {
  SimCluster cluster(SimClusterOptions::Nodes(4));
  Result<RemoveResponse> refused = cluster.Remove("n1", "n4", /*force=*/true);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == ErrorCode::kInvalidArgument);
  CHECK(refused.status().message().find("node n4 is up") != std::string::npos);
  const std::vector<std::string> four = {"n1", "n2", "n3", "n4"};
  CHECK(cluster.RingIs(four, four));
  Result<RemoveResponse> self = cluster.Remove("n1", "n1", /*force=*/true);
  CHECK(self.status().code() == ErrorCode::kInvalidArgument);
  Result<RemoveResponse> unknown = cluster.Remove("n1", "n9");
  CHECK(unknown.status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("remove (sim): fewer than N nodes left is refused unless forced") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  cluster.network().Crash(SimCluster::AddressOf("n3"));
  REQUIRE(SimCluster::Eventually([&] { return !cluster.SeesUp("n1", "n3"); }));
  Result<RemoveResponse> refused = cluster.Remove("n1", "n3");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("would leave 2 normal nodes up for N=3") !=
        std::string::npos);
  const std::vector<std::string> all = {"n1", "n2", "n3"};
  CHECK(cluster.RingIs({"n1"}, all));
  Result<RemoveResponse> forced = cluster.Remove("n1", "n3", /*force=*/true);
  REQUIRE(forced.ok());
  const std::vector<std::string> two = {"n1", "n2"};
  CHECK(SimCluster::Eventually([&] { return cluster.RingIs(two, two); }));
}

}  // namespace
}  // namespace kv
