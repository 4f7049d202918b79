// Hints from a peer that is authenticated but hostile (or buggy), in a whole cluster over the
// simulated network: a hint for a node that is not in the ring is refused, one for a known down
// member is taken (the positive control); a stand-in whose quota is full refuses the hint, and the
// coordinator then counts only the copies that landed — the write's durability is reported as it
// is — and keeps the hint itself.
#include <doctest/doctest.h>

#include "libkv/net/replica_messages.h"
#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

std::string EncodedSet(const std::string& value) {
  SiblingSet set;
  SiblingWrite write;
  write.coordinator = 42;
  write.value = value;
  write.now_micros = 1;
  REQUIRE(set.Put(std::move(write), ClockPruneOptions{}).ok());
  return set.Encode();
}

TEST_CASE("hints (sim): only for a node of the ring; the positive control is taken") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  const std::string siblings = EncodedSet("v");
  ReplicaWriteRequest unknown{.key = "k", .siblings = siblings, .hinted_for = "no-such-node"};
  Result<Frame> refused =
      cluster.Call("n1", wire::MessageType::kReplicaWriteRequest, EncodeMessage(unknown));
  CHECK(refused.status().code() == ErrorCode::kInvalidArgument);
  CHECK(refused.status().message().find("not a node of this node's ring") != std::string::npos);
  CHECK(cluster.service("n1").hints().PendingCounts().empty());
  // The same for a known member: a stand-in keeps it.
  ReplicaWriteRequest known{.key = "k", .siblings = siblings, .hinted_for = "n2"};
  Result<Frame> taken =
      cluster.Call("n1", wire::MessageType::kReplicaWriteRequest, EncodeMessage(known));
  CHECK(taken.ok());
  CHECK(cluster.service("n1").hints().PendingCounts().at("n2").hints == 1);
}

TEST_CASE("hints (sim): a stand-in past its quota refuses; the write counts only real copies") {
  SimClusterOptions options = SimClusterOptions::Nodes(4);
  options.hint_quota_per_node = kMinHintQuota;
  SimCluster cluster(options);
  // A key n4 replicates whose first replica is another node, and the node that stands in for n4.
  std::shared_ptr<const ClusterView> view = cluster.service("n1").gossiper().view();
  std::string key;
  std::vector<std::string> prefs;
  for (int i = 0;; ++i) {
    key = fmt::format("key-{}", i);
    prefs = view->ring->PreferenceList(key, 3);
    if (std::find(prefs.begin(), prefs.end(), "n4") != prefs.end() && prefs[0] != "n4") break;
  }
  std::string stand_in;
  for (const char* id : {"n1", "n2", "n3"})
    if (std::find(prefs.begin(), prefs.end(), id) == prefs.end()) stand_in = id;
  cluster.network().Crash(SimCluster::AddressOf("n4"));
  REQUIRE(SimCluster::Eventually([&] {
    for (const char* id : {"n1", "n2", "n3"})
      if (cluster.SeesUp(id, "n4")) return false;
    return true;
  }));
  // Fill the stand-in's quota for n4, to the last few bytes.
  HintStore& hints = cluster.service(stand_in).hints();
  int filled = 0;
  for (size_t size : {size_t{1} << 20, size_t{1} << 14, size_t{256}, size_t{1}}) {
    const std::string set(size, 'x');
    Status filling;
    while (filling.ok()) filling = hints.Add("n4", fmt::format("f{}", filled++), set, 1);
    REQUIRE(filling.code() == ErrorCode::kUnavailable);
  }

  // W=3: the coordinator and the other live replica acknowledge, the stand-in refuses. Not a
  // success: the copy it stood for did not land anywhere but in the coordinator's own hint.
  Status three = cluster.Put(prefs[0], key, "v1", {}, 3);
  CHECK(three.code() == ErrorCode::kMaybeApplied);
  CHECK(three.message().find("quota") != std::string::npos);
  CHECK(SimCluster::Eventually([&] {
    auto counts = cluster.service(prefs[0]).hints().PendingCounts();
    return counts.contains("n4") && counts.at("n4").hints >= 1;
  }));
  // W=2 is met by the two real copies.
  CHECK(cluster.Put(prefs[0], key, "v2", {}, 2).ok());
}

}  // namespace
}  // namespace kv
