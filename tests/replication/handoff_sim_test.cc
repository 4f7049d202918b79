// Sloppy quorum and hinted handoff in a whole cluster over the simulated network: a down
// replica's writes go to a stand-in with a hint, the hints reach the replica when it returns
// (even across a crash of the node holding them), the returned replica alone then has every key
// (Cassandra's hinted-handoff test), and hints past the window are dropped and counted.
#include <doctest/doctest.h>

#include <thread>

#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

// Keys whose preference list (N=3) holds `node` but whose first replica is not it, so a live
// primary coordinates them.
std::vector<std::string> KeysReplicatedBy(SimCluster& cluster, const std::string& node, int count) {
  std::shared_ptr<const ClusterView> view = cluster.service("n1").gossiper().view();
  std::vector<std::string> keys;
  for (int i = 0; static_cast<int>(keys.size()) < count; ++i) {
    std::string key = fmt::format("key-{}", i);
    std::vector<std::string> prefs = view->ring->PreferenceList(key, 3);
    if (std::find(prefs.begin(), prefs.end(), node) != prefs.end() && prefs[0] != node)
      keys.push_back(std::move(key));
  }
  return keys;
}

// The first replica of the key: a live primary that coordinates the write itself.
std::string FirstReplica(SimCluster& cluster, const std::string& key) {
  return cluster.service("n1").gossiper().view()->ring->PreferenceList(key, 3)[0];
}

uint64_t HintsFor(SimCluster& cluster, const std::string& holder, const std::string& target) {
  auto counts = cluster.service(holder).hints().PendingCounts();
  auto it = counts.find(target);
  return it == counts.end() ? 0 : it->second.hints;
}

uint64_t HintsHeldFor(SimCluster& cluster, const std::string& target) {
  uint64_t total = 0;
  for (const char* id : {"n1", "n2", "n3", "n4"}) total += HintsFor(cluster, id, target);
  return total;
}

void CrashAndWaitUntilSeenDown(SimCluster& cluster, const std::string& id) {
  cluster.network().Crash(SimCluster::AddressOf(id));
  REQUIRE(SimCluster::Eventually([&] {
    for (const char* other : {"n1", "n2", "n3", "n4"})
      if (other != id && cluster.SeesUp(other, id)) return false;
    return true;
  }));
}

constexpr int kKeys = 30;

TEST_CASE(
    "handoff (sim): a down replica's writes go to a stand-in with a hint, and reach the "
    "replica when it returns — it alone then has every key") {
  SimCluster cluster(SimClusterOptions::Nodes(4));
  const std::vector<std::string> keys = KeysReplicatedBy(cluster, "n4", kKeys);
  CrashAndWaitUntilSeenDown(cluster, "n4");

  for (const std::string& key : keys)
    REQUIRE(cluster.Put(FirstReplica(cluster, key), key, fmt::format("v-{}", key)).ok());
  // Each write left exactly one hint for n4: on the node that stood in for it, or on the
  // coordinator when it still thought n4 up.
  CHECK(SimCluster::Eventually([&] { return HintsHeldFor(cluster, "n4") == keys.size(); }));
  for (const std::string& key : keys) CHECK(cluster.StoredAt("n4", key).empty());

  cluster.network().Recover(SimCluster::AddressOf("n4"));
  CHECK(SimCluster::Eventually([&] { return HintsHeldFor(cluster, "n4") == 0; }));
  for (const std::string& key : keys) CHECK_FALSE(cluster.StoredAt("n4", key).empty());

  // Cassandra's test: the others stop; n4 alone (R=1) answers every key.
  for (const char* id : {"n1", "n2", "n3"}) cluster.network().Crash(SimCluster::AddressOf(id));
  for (const std::string& key : keys) {
    Result<SimGet> got = cluster.Get("n4", key, 1);
    REQUIRE(got.ok());
    CHECK(got->Values() == std::vector<std::string>{fmt::format("v-{}", key)});
  }
}

TEST_CASE(
    "handoff (sim): the positive control — without hinted handoff, the returned replica "
    "alone misses the writes") {
  SimClusterOptions options = SimClusterOptions::Nodes(4);
  options.hinted_handoff = false;
  SimCluster cluster(options);
  const std::vector<std::string> keys = KeysReplicatedBy(cluster, "n4", kKeys);
  CrashAndWaitUntilSeenDown(cluster, "n4");
  for (const std::string& key : keys)
    REQUIRE(cluster.Put(FirstReplica(cluster, key), key, fmt::format("v-{}", key))
                .ok());  // W=2 of 3 met
  CHECK(HintsHeldFor(cluster, "n4") == 0);
  cluster.network().Recover(SimCluster::AddressOf("n4"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (const char* id : {"n1", "n2", "n3"}) cluster.network().Crash(SimCluster::AddressOf(id));
  int missing = 0;
  for (const std::string& key : keys) {
    Result<SimGet> got = cluster.Get("n4", key, 1);
    REQUIRE(got.ok());
    if (got->Values().empty()) ++missing;
  }
  CHECK(missing == kKeys);
}

TEST_CASE("handoff (sim): hints survive a crash of the node holding them") {
  SimCluster cluster(SimClusterOptions::Nodes(4));
  const std::vector<std::string> keys = KeysReplicatedBy(cluster, "n4", kKeys);
  CrashAndWaitUntilSeenDown(cluster, "n4");
  for (const std::string& key : keys)
    REQUIRE(cluster.Put(FirstReplica(cluster, key), key, fmt::format("v-{}", key)).ok());
  // A write whose coordinator still thought n4 up leaves its hint a moment after the answer.
  REQUIRE(SimCluster::Eventually([&] { return HintsHeldFor(cluster, "n4") >= keys.size(); }));
  // Every call of those writes has ended by twice the request timeout. On a loaded machine a
  // stand-in's answer can come after its call timed out, and then the coordinator keeps a hint
  // too: a hint is at-least-once, so count what is held once nothing is in flight.
  std::this_thread::sleep_for(2 * SimClusterOptions().request_timeout);
  const uint64_t held = HintsHeldFor(cluster, "n4");
  CHECK(held >= keys.size());

  // Every holder dies and restarts (one at a time, so writes and gossip go on) before n4 is back.
  for (const char* id : {"n1", "n2", "n3"}) {
    const uint64_t before = HintsFor(cluster, id, "n4");
    cluster.Restart(id);
    INFO("hints " << id << " held before its restart: " << before);
    CHECK(HintsFor(cluster, id, "n4") == before);
  }
  CHECK(HintsHeldFor(cluster, "n4") == held);

  cluster.network().Recover(SimCluster::AddressOf("n4"));
  CHECK(SimCluster::Eventually([&] { return HintsHeldFor(cluster, "n4") == 0; },
                               std::chrono::seconds(10)));
  for (const std::string& key : keys) CHECK_FALSE(cluster.StoredAt("n4", key).empty());
}

TEST_CASE("handoff (sim): primaries-only writes refuse stand-ins") {
  SimCluster cluster(SimClusterOptions::Nodes(4));
  const std::vector<std::string> keys = KeysReplicatedBy(cluster, "n4", 1);
  CrashAndWaitUntilSeenDown(cluster, "n4");
  const std::string coordinator = FirstReplica(cluster, keys[0]);
  // W=3 can be met only with a stand-in.
  CHECK(cluster.Put(coordinator, keys[0], "sloppy", {}, 3).ok());
  CHECK(SimCluster::Eventually([&] { return HintsHeldFor(cluster, "n4") == 1; }));
  Status strict = cluster.Put(coordinator, keys[0], "strict", {}, 3, /*primaries_only=*/true);
  CHECK(strict.code() == ErrorCode::kMaybeApplied);  // stored on the coordinator and one more
  CHECK(strict.message().find("2 of 3 replicas acknowledged (W=3)") != std::string::npos);
}

// A node that is no replica of the key forwards the write to one; the forwarded request must
// keep PW (it once dropped it for a delete, which a stand-in then acknowledged).
TEST_CASE("handoff (sim): primaries-only writes refuse stand-ins also when forwarded") {
  SimCluster cluster(SimClusterOptions::Nodes(4));
  const std::vector<std::string> keys = KeysReplicatedBy(cluster, "n4", 1);
  const std::vector<std::string> replicas =
      cluster.service("n1").gossiper().view()->ring->PreferenceList(keys[0], 3);
  std::string outsider;
  for (const char* id : {"n1", "n2", "n3", "n4"})
    if (std::find(replicas.begin(), replicas.end(), id) == replicas.end()) outsider = id;
  REQUIRE_FALSE(outsider.empty());
  REQUIRE(cluster.Put(outsider, keys[0], "before").ok());
  CrashAndWaitUntilSeenDown(cluster, "n4");
  // W=3 of the key's own replicas cannot be met with n4 down, forwarded or not.
  Status put = cluster.Put(outsider, keys[0], "strict", {}, 3, /*primaries_only=*/true);
  CHECK(put.code() == ErrorCode::kMaybeApplied);
  Status del = cluster.Delete(outsider, keys[0], {}, 3, /*primaries_only=*/true);
  CHECK(del.code() == ErrorCode::kMaybeApplied);
  CHECK(del.message().find("2 of 3 replicas acknowledged (W=3)") != std::string::npos);
  // The positive control: without PW a stand-in counts, and the same delete is acknowledged.
  CHECK(cluster.Delete(outsider, keys[0], {}, 3).ok());
}

TEST_CASE("handoff (sim): hints older than the window are dropped and counted, not delivered") {
  SimClusterOptions options = SimClusterOptions::Nodes(4);
  options.hint_window = std::chrono::seconds(1);
  SimCluster cluster(options);
  const std::vector<std::string> keys = KeysReplicatedBy(cluster, "n4", 5);
  CrashAndWaitUntilSeenDown(cluster, "n4");
  for (const std::string& key : keys)
    REQUIRE(cluster.Put(FirstReplica(cluster, key), key, fmt::format("v-{}", key)).ok());
  REQUIRE(SimCluster::Eventually([&] { return HintsHeldFor(cluster, "n4") == keys.size(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  cluster.network().Recover(SimCluster::AddressOf("n4"));
  CHECK(SimCluster::Eventually([&] { return HintsHeldFor(cluster, "n4") == 0; }));
  uint64_t expired = 0, delivered = 0;
  for (const char* id : {"n1", "n2", "n3"}) {
    expired += cluster.service(id).hints().stats().expired;
    delivered += cluster.service(id).hints().stats().delivered;
  }
  CHECK(expired == keys.size());
  CHECK(delivered == 0);
  for (const std::string& key : keys) CHECK(cluster.StoredAt("n4", key).empty());
}

}  // namespace
}  // namespace kv
