// A context token or replica write claiming more of a node's clock than it has issued is refused
// (issue 13: a context claiming counter 2^64-2 for the coordinator's clock made the key
// unwritable; a replica write with counter 2^40 replaced a real value). The positive control: a
// context a get returned works, and the key stays writable after the refusal.
#include <doctest/doctest.h>

#include "libkv/net/replica_messages.h"
#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

TEST_CASE("context check (sim): a forged counter of the node's own clock is refused") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  const std::string key = "poison";
  const std::string coordinator =
      cluster.service("n1").gossiper().view()->ring->PreferenceList(key, 3)[0];
  REQUIRE(cluster.Put(coordinator, key, "v1").ok());
  Result<SimGet> read = cluster.Get(coordinator, key);
  REQUIRE(read.ok());

  const ClockId clock = cluster.service(coordinator).identity().clock_id;
  VectorClock forged;
  forged.Witness(clock, UINT64_MAX - 1, 1);
  Status refused = cluster.Put(coordinator, key, "poisoned", EncodeContextToken(forged));
  CHECK(refused.code() == ErrorCode::kInvalidArgument);
  CHECK(refused.message().find("the context claims counter 18446744073709551614 for this node's "
                               "clock, which has issued only") != std::string::npos);
  CHECK(refused.message().find("forged or from another cluster") != std::string::npos);
  // Through another node (a replica too, so it coordinates under its own clock, which cannot
  // check the first's): refused as more than any node issues.
  std::string other = coordinator == "n1" ? "n2" : "n1";
  CHECK(cluster.Put(other, key, "poisoned", EncodeContextToken(forged)).code() ==
        ErrorCode::kInvalidArgument);

  // The positive control: the context the get returned works, and the key stays writable.
  REQUIRE(cluster.Put(coordinator, key, "v2", read->context).ok());
  Result<SimGet> after = cluster.Get(coordinator, key);
  REQUIRE(after.ok());
  CHECK(after->Values() == std::vector<std::string>{"v2"});
  REQUIRE(cluster.Put(coordinator, key, "v3", after->context).ok());

  // A replica write whose version claims a counter of the receiver's clock it never issued.
  SiblingSet set;
  SiblingWrite write;
  write.coordinator = clock;
  write.value = "planted";
  write.now_micros = 1;
  write.min_counter = uint64_t{1} << 40;
  REQUIRE(set.Put(std::move(write), ClockPruneOptions{}).ok());
  ReplicaWriteRequest planted{.key = key, .siblings = set.Encode(), .hinted_for = ""};
  Result<Frame> answer =
      cluster.Call(coordinator, wire::MessageType::kReplicaWriteRequest, EncodeMessage(planted));
  CHECK(answer.status().code() == ErrorCode::kInvalidArgument);
  Result<SimGet> last = cluster.Get(coordinator, key);
  REQUIRE(last.ok());
  CHECK(last->Values() == std::vector<std::string>{"v3"});
}

}  // namespace
}  // namespace kv
