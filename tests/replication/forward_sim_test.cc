// Forwarding (Coordinator::Forward): a node that is not a replica of a key hands a write to the
// first up replica, and tries the next one only when the transport says the request was never
// sent (Unavailable). A write that may have reached a replica is not sent to another, which
// would coordinate it a second time under its own dot; a replica's own answer comes back to the
// client with its code.
#include <doctest/doctest.h>

#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

// A key of which n5 is no replica, and its replicas in ring order (the order Forward tries
// them in while all are up).
std::pair<std::string, std::vector<std::string>> KeyNotOn(SimCluster& cluster,
                                                          const std::string& node) {
  std::shared_ptr<const ClusterView> view = cluster.service(node).gossiper().view();
  for (int i = 0;; ++i) {
    std::string key = fmt::format("forwarded-{}", i);
    std::vector<std::string> replicas = view->ring->PreferenceList(key, 3);
    if (std::find(replicas.begin(), replicas.end(), node) == replicas.end()) return {key, replicas};
  }
}

SimClusterOptions FiveNodes() {
  SimClusterOptions options = SimClusterOptions::Nodes(5);
  options.request_timeout = std::chrono::milliseconds(500);
  return options;
}

TEST_CASE("forward (sim): a replica the request never reached is skipped for the next") {
  SimCluster cluster(FiveNodes());
  auto [key, replicas] = KeyNotOn(cluster, "n5");
  // Down at once for the network (calls to it are refused, never sent), still up for n5's
  // failure detector, so n5 tries it first.
  cluster.network().Crash(SimCluster::AddressOf(replicas[0]));
  REQUIRE(cluster.SeesUp("n5", replicas[0]));
  Status put = cluster.Put("n5", key, "v");
  INFO(put.ToString());
  CHECK(put.ok());
  CHECK(cluster.StoredAt(replicas[0], key).empty());
  CHECK_FALSE(cluster.StoredAt(replicas[1], key).empty());
}

TEST_CASE("forward (sim): a request that may have reached a replica is not sent to another") {
  SimCluster cluster(FiveNodes());
  auto [key, replicas] = KeyNotOn(cluster, "n5");
  // n5's request to the first replica is lost on the way: for n5 it left, and no answer came.
  cluster.network().Partition(
      {{SimCluster::AddressOf("n5")}, {SimCluster::AddressOf(replicas[0])}});
  REQUIRE(cluster.SeesUp("n5", replicas[0]));
  Status put = cluster.Put("n5", key, "v");
  INFO(put.ToString());
  CHECK(put.code() == ErrorCode::kTimeout);
  CHECK(put.message().find(SimCluster::AddressOf(replicas[0])) != std::string::npos);
  // Had n5 tried the next replica, that one would have coordinated and stored it (W=2 of the
  // three, the first one included, is reachable from there).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (const std::string& r : replicas) CHECK(cluster.StoredAt(r, key).empty());
}

TEST_CASE("forward (sim): a replica's quorum shortfall comes back as MaybeApplied, not retried") {
  SimCluster cluster(FiveNodes());
  auto [key, replicas] = KeyNotOn(cluster, "n5");
  // The first replica takes the write but reaches neither other replica (refused at once; its
  // detector still sees them up, so it picks no stand-ins).
  cluster.network().Crash(SimCluster::AddressOf(replicas[1]));
  cluster.network().Crash(SimCluster::AddressOf(replicas[2]));
  REQUIRE(cluster.SeesUp("n5", replicas[0]));
  Status put = cluster.Put("n5", key, "v");
  INFO(put.ToString());
  // Retrying would have met the two crashed replicas and ended Unavailable.
  CHECK(put.code() == ErrorCode::kMaybeApplied);
  CHECK(put.message().find("1 of 3 replicas acknowledged (W=2)") != std::string::npos);
  CHECK_FALSE(cluster.StoredAt(replicas[0], key).empty());
}

}  // namespace
}  // namespace kv
