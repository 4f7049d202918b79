// kvring cleanup in a whole cluster over the simulated network: after a fourth node joined, the
// first three still hold copies of the keys they no longer replicate; a cleanup on each removes
// exactly those, every key keeps its N copies and reads back, and a second cleanup finds nothing.
// A cleanup is refused while a node joins. The test's own control: before the cleanups, each of
// the first three nodes is checked to hold keys it does not replicate, so a cleanup that removed
// nothing would fail the test. The disk is given back when it ends (the engine's tables are
// smaller right after, as the answer says) and it writes no tombstone (the engine's sequence does
// not move: the old cleanup's engine deletes moved it once per key removed).
#include <doctest/doctest.h>

#include "libkv/membership/node_state.h"
#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

// Starts a cleanup on `via` and waits for it to end; how it ended.
CleanupResponse CleanUp(SimCluster& cluster, const std::string& via) {
  // Refused (Unavailable) until the ring has settled: a ring delay after the last change. Asked
  // only until one starts: a second request could start another cleanup once the first is done,
  // whose figures (nothing left to remove) would be the ones read below.
  Result<CleanupResponse> started = Status::Unavailable("not asked yet");
  REQUIRE(SimCluster::Eventually([&] {
    started = cluster.Cleanup(via);
    return started.ok() || !started.status().Is(ErrorCode::kUnavailable);
  }));
  REQUIRE(started.ok());
  CleanupResponse last = *started;
  REQUIRE(SimCluster::Eventually(
      [&] {
        Result<CleanupResponse> now = cluster.Cleanup(via, /*status_only=*/true);
        REQUIRE(now.ok());
        last = *now;
        return last.state != "running";
      },
      std::chrono::seconds(30)));
  return last;
}

// The keys `id` holds but does not replicate in its own ring.
std::vector<std::string> HeldNotReplicated(SimCluster& cluster, const std::string& id,
                                           const std::vector<std::string>& keys) {
  std::shared_ptr<const ClusterView> view = cluster.service(id).gossiper().view();
  std::vector<std::string> out;
  for (const std::string& key : keys) {
    const std::vector<std::string> replicas = view->ring->PreferenceList(key, 3);
    if (std::find(replicas.begin(), replicas.end(), id) == replicas.end() &&
        !cluster.StoredAt(id, key).empty())
      out.push_back(key);
  }
  return out;
}

TEST_CASE("cleanup (sim): after a join the old nodes drop exactly the keys they gave up") {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  SimCluster cluster(options);
  std::vector<std::string> keys;
  for (int i = 0; i < 400; ++i) {
    keys.push_back(fmt::format("key-{}", i));
    REQUIRE(cluster.Put("n1", keys.back(), "v-" + keys.back()).ok());
  }
  // Three nodes, N=3: every node replicates every key, and a cleanup removes none.
  CleanupResponse nothing = CleanUp(cluster, "n1");
  CHECK(nothing.state == "done");
  CHECK(nothing.error.empty());
  CHECK(nothing.keys_scanned == keys.size());
  CHECK(nothing.keys_removed == 0);

  cluster.Join("n4");
  const std::vector<std::string> four = {"n1", "n2", "n3", "n4"};
  REQUIRE(
      SimCluster::Eventually([&] { return cluster.RingIs(four, four); }, std::chrono::seconds(30)));

  for (const std::string id : {"n1", "n2", "n3"}) {
    CAPTURE(id);
    const std::vector<std::string> stale = HeldNotReplicated(cluster, id, keys);
    // The control: the join left old copies here, which only a cleanup removes.
    REQUIRE(!stale.empty());
    const EngineStats before = cluster.engine(id).stats();
    const CleanupResponse done = CleanUp(cluster, id);
    CHECK(done.state == "done");
    CHECK(done.error.empty());
    CHECK(done.keys_scanned >= keys.size());
    CHECK(done.keys_removed == stale.size());
    CHECK(done.bytes_removed > 0);
    // The disk given back at once, and no tombstone written.
    const EngineStats after = cluster.engine(id).stats();
    CHECK(done.table_bytes_after < done.table_bytes_before);
    CHECK(after.table_bytes == done.table_bytes_after);
    CHECK(after.last_sequence == before.last_sequence);
    CHECK(HeldNotReplicated(cluster, id, keys).empty());
    // Nothing it replicates went: it holds every key its ring gives it.
    std::shared_ptr<const ClusterView> view = cluster.service(id).gossiper().view();
    for (const std::string& key : keys) {
      const std::vector<std::string> replicas = view->ring->PreferenceList(key, 3);
      if (std::find(replicas.begin(), replicas.end(), id) != replicas.end())
        REQUIRE(!cluster.StoredAt(id, key).empty());
    }
    CHECK(CleanUp(cluster, id).keys_removed == 0);  // a second one finds nothing
  }
  for (const std::string& key : keys) {
    Result<SimGet> got = cluster.Get("n2", key);
    REQUIRE(got.ok());
    CHECK(got->Values() == std::vector<std::string>{"v-" + key});
  }
}

TEST_CASE("cleanup (sim): refused while a node joins") {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  SimCluster cluster(options);
  REQUIRE(cluster.Put("n1", "k", "v").ok());
  cluster.Join("n4");
  REQUIRE(
      SimCluster::Eventually([&] { return cluster.service("n1").gossiper().view()->changing(); }));
  Result<CleanupResponse> refused = cluster.Cleanup("n1");
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == ErrorCode::kUnavailable);
  CHECK(refused.status().message().find("joining or leaving") != std::string::npos);
  // Nothing started.
  Result<CleanupResponse> status = cluster.Cleanup("n1", /*status_only=*/true);
  REQUIRE(status.ok());
  CHECK(status->state == "none");
}

TEST_CASE("cleanup (sim): refused under a ring that is not settled, as fake members make it") {
  // Issue 13: a CleanupRequest under a ring of fake members deleted 296 of 303 keys.
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.ring_delay = std::chrono::milliseconds(1000);
  SimCluster cluster(options);
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    keys.push_back(fmt::format("key-{}", i));
    REQUIRE(cluster.Put("n1", keys.back(), "v").ok());
  }
  Gossiper& n1 = cluster.service("n1").gossiper();
  REQUIRE(n1.HandleAck2(SimCluster::FakeMembers(3, NodeStatus::kNormal, 1, 512)).ok());
  Result<CleanupResponse> refused = cluster.Cleanup("n1");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == ErrorCode::kUnavailable);
  CHECK(refused.status().message().find("the ring changed") != std::string::npos);
  CHECK(refused.status().message().find("retry in") != std::string::npos);
  // Past the ring delay the fakes, never heard from again, are down: still refused.
  REQUIRE(SimCluster::Eventually(
      [&] {
        Result<CleanupResponse> again = cluster.Cleanup("n1");
        REQUIRE_FALSE(again.ok());
        return again.status().message().find("are down (fake0, fake1, fake2)") != std::string::npos;
      },
      std::chrono::seconds(30)));
  Result<CleanupResponse> status = cluster.Cleanup("n1", /*status_only=*/true);
  REQUIRE(status.ok());
  CHECK(status->state == "none");
  for (const std::string& key : keys) CHECK_FALSE(cluster.StoredAt("n1", key).empty());
}

}  // namespace
}  // namespace kv
