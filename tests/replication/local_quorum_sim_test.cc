// Zone-local quorums in a whole cluster over the simulated network (issue 16 item 4): a get or
// write may ask the local quorum of a zone (Cassandra's LOCAL_QUORUM), a majority of the key's
// replicas in that zone, counted from each key's own preference list. Shown here: with every
// other zone down, local reads and writes succeed and a local read sees a local write; with the
// zone's majority down they fail, saying which quorum was not met; a stand-in counts only inside
// the zone; a forwarded write keeps its zone; a zone the ring does not have, or one without a
// replica of the key, is refused with nothing written.
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

constexpr int kKeys = 30;

std::string Key(int i) {
  return fmt::format("local-key-{}", i);
}

bool Has(const Status& s, std::string_view text) {
  return s.message().find(text) != std::string::npos;
}

// 3 zones of 2 nodes: each key has one replica per zone (N=3).
SimClusterOptions ThreeZones() {
  SimClusterOptions options = SimClusterOptions::Nodes(6);
  options.zones = {{"n1", "a"}, {"n2", "a"}, {"n3", "b"}, {"n4", "b"}, {"n5", "c"}, {"n6", "c"}};
  return options;
}

// Uneven zones, a = n1..n3 and b = n4, n5: a key has one or two replicas in each, varying by
// range, so counts are taken from each key's preference list.
SimClusterOptions Uneven() {
  SimClusterOptions options = SimClusterOptions::Nodes(5);
  options.zones = {{"n1", "a"}, {"n2", "a"}, {"n3", "a"}, {"n4", "b"}, {"n5", "b"}};
  return options;
}

void CrashAndWait(SimCluster& cluster, const std::vector<std::string>& down,
                  const std::vector<std::string>& observers) {
  for (const std::string& id : down) cluster.network().Crash(SimCluster::AddressOf(id));
  REQUIRE(SimCluster::Eventually([&] {
    for (const std::string& o : observers)
      for (const std::string& id : down)
        if (cluster.SeesUp(o, id)) return false;
    return true;
  }));
}

std::vector<std::string> ReplicasOf(SimCluster& cluster, const std::string& key) {
  return cluster.service("n1").gossiper().view()->ring->PreferenceList(key, 3);
}

size_t CountOf(const std::vector<std::string>& nodes, std::initializer_list<const char*> among) {
  return std::count_if(nodes.begin(), nodes.end(), [&](const std::string& n) {
    return std::find(among.begin(), among.end(), n) != among.end();
  });
}

}  // namespace

TEST_CASE(
    "local quorum (sim): with every other zone down, local reads and writes succeed and a local "
    "read sees the local write") {
  SimCluster cluster(ThreeZones());
  for (int i = 0; i < kKeys; ++i) REQUIRE(cluster.Put("n1", Key(i), "v1").ok());
  CrashAndWait(cluster, {"n3", "n4", "n5", "n6"}, {"n1", "n2"});

  int plain_unreadable = 0;
  int plain_pw_refused = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string via = i % 2 == 0 ? "n1" : "n2";
    const std::string other = i % 2 == 0 ? "n2" : "n1";
    Result<SimGet> got = cluster.Get(via, Key(i), 0, "a");
    REQUIRE_MESSAGE(got.ok(), Key(i), ": ", got.status().ToString());
    CHECK(got->Values() == std::vector<std::string>{"v1"});
    // PW at the local quorum: the zone's own replica, no stand-in, is enough.
    Status put = cluster.Put(via, Key(i), "v2", got->context, 0, /*primaries_only=*/true, "a");
    REQUIRE_MESSAGE(put.ok(), Key(i), ": ", put.ToString());
    Result<SimGet> after = cluster.Get(other, Key(i), 0, "a");
    REQUIRE_MESSAGE(after.ok(), Key(i), ": ", after.status().ToString());
    CHECK(after->Values() == std::vector<std::string>{"v2"});
    if (i % 3 == 0) {
      REQUIRE(cluster.Delete(via, Key(i), after->context, 0, false, "a").ok());
      Result<SimGet> deleted = cluster.Get(other, Key(i), 0, "a");
      REQUIRE(deleted.ok());
      CHECK_FALSE(deleted->found);
    }
    // The same requests at plain quorums, as before: a read at R=2 cannot be met with one
    // replica per zone, nor a write at W=2 with primaries only.
    if (!cluster.Get(via, Key(i), 2).ok()) ++plain_unreadable;
    if (!cluster.Put(via, Key(i), "v3", {}, 2, /*primaries_only=*/true).ok()) ++plain_pw_refused;
  }
  CHECK(plain_unreadable == kKeys);
  CHECK(plain_pw_refused == kKeys);
}

TEST_CASE(
    "local quorum (sim): uneven zones, the other zone down: every key reads and writes at zone "
    "a's local quorum, while R=2 misses the keys with one replica there") {
  SimCluster cluster(Uneven());
  for (int i = 0; i < kKeys; ++i) REQUIRE(cluster.Put("n1", Key(i), "v1").ok());
  CrashAndWait(cluster, {"n4", "n5"}, {"n1", "n2", "n3"});
  int one_in_a = 0;
  int plain_unreadable = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string via = fmt::format("n{}", 1 + i % 3);
    Result<SimGet> got = cluster.Get(via, Key(i), 0, "a");
    REQUIRE_MESSAGE(got.ok(), Key(i), ": ", got.status().ToString());
    REQUIRE(cluster.Put(via, Key(i), "v2", got->context, 0, false, "a").ok());
    Result<SimGet> after = cluster.Get(fmt::format("n{}", 1 + (i + 1) % 3), Key(i), 0, "a");
    REQUIRE(after.ok());
    CHECK(after->Values() == std::vector<std::string>{"v2"});
    if (CountOf(ReplicasOf(cluster, Key(i)), {"n1", "n2", "n3"}) == 1) ++one_in_a;
    if (!cluster.Get(via, Key(i), 2).ok()) ++plain_unreadable;
  }
  MESSAGE(one_in_a, " of ", kKeys, " keys have one replica in zone a; ", plain_unreadable,
          " unreadable at R=2");
  CHECK(plain_unreadable == one_in_a);
}

TEST_CASE(
    "local quorum (sim): with the zone's majority down, a local read fails saying which quorum, "
    "and a stand-in counts only inside the zone") {
  SimCluster cluster(Uneven());
  for (int i = 0; i < kKeys; ++i) REQUIRE(cluster.Put("n1", Key(i), "v1").ok());
  CrashAndWait(cluster, {"n4"}, {"n1", "n2", "n3", "n5"});

  int reads_refused = 0, reads_served = 0, writes_refused = 0, writes_by_stand_in = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::vector<std::string> replicas = ReplicasOf(cluster, Key(i));
    const size_t in_b = CountOf(replicas, {"n4", "n5"});
    const size_t live_in_b = CountOf(replicas, {"n5"});
    const bool majority_up = live_in_b >= in_b / 2 + 1;
    Result<SimGet> got = cluster.Get("n1", Key(i), 0, "b");
    CHECK_MESSAGE(got.ok() == majority_up, Key(i), ": ", got.status().ToString());
    if (!got.ok()) {
      ++reads_refused;
      CHECK(got.status().code() == ErrorCode::kUnavailable);
      CHECK_MESSAGE(Has(got.status(), fmt::format("local quorum of zone b not met for the read: "
                                                  "{} of {} replicas in zone b answered",
                                                  live_in_b, in_b)),
                    got.status().message());
    } else {
      ++reads_served;
    }

    // A write: n4's copy goes to a stand-in, of zone b (n5) when n5 is not already a replica.
    // Inside the zone it counts, as n4's own would; outside (zone a) it does not.
    const bool n4_is_replica = CountOf(replicas, {"n4"}) == 1;
    if (!n4_is_replica) continue;
    Status put = cluster.Put("n1", Key(i), "v2", {}, 0, false, "b");
    if (in_b == 1) {
      CHECK_MESSAGE(put.ok(), Key(i), ": ", put.ToString());  // n5 stood in for n4
      ++writes_by_stand_in;
    } else {
      ++writes_refused;
      CHECK(put.code() == ErrorCode::kMaybeApplied);
      CHECK_MESSAGE(Has(put,
                        "local quorum of zone b not met for the write: 1 of 2 replicas in "
                        "zone b acknowledged (2 needed)"),
                    put.message());
      CHECK_MESSAGE(Has(put, "(for n4): acknowledged but is outside zone b"), put.message());
      // The plain quorum is met by the same write's copies, stand-in included, as before.
      CHECK(cluster.Put("n1", Key(i), "v3", {}, 2).ok());
    }
  }
  MESSAGE("reads refused ", reads_refused, ", served ", reads_served, "; writes refused ",
          writes_refused, ", met by a stand-in in zone ", writes_by_stand_in);
  CHECK(reads_refused > 0);
  CHECK(reads_served > 0);
  CHECK(writes_refused > 0);
  CHECK(writes_by_stand_in > 0);
}

TEST_CASE(
    "local quorum (sim): a write forwarded by a node that is no replica keeps its zone's "
    "quorum") {
  SimCluster cluster(Uneven());
  CrashAndWait(cluster, {"n4", "n5"}, {"n1", "n2", "n3"});
  int forwarded = 0;
  for (int i = 0; i < 3 * kKeys && forwarded < 5; ++i) {
    const std::vector<std::string> replicas = ReplicasOf(cluster, Key(i));
    if (CountOf(replicas, {"n1"}) == 1) continue;
    ++forwarded;
    CHECK(cluster.Put("n1", Key(i), "v1", {}, 0, false, "a").ok());
    // Zone b is down: its local quorum fails on the replica n1 forwarded to, although W=2 would
    // be met there by stand-ins of zone a (it is, just after).
    Status b = cluster.Put("n1", Key(i), "v2", {}, 0, false, "b");
    CHECK(b.code() == ErrorCode::kMaybeApplied);
    CHECK_MESSAGE(Has(b, "local quorum of zone b not met for the write"), b.message());
    CHECK(cluster.Put("n1", Key(i), "v3", {}, 2).ok());
  }
  CHECK(forwarded == 5);
}

TEST_CASE(
    "local quorum (sim): a zone no node is in, a zone without a replica of the key, or R with "
    "a local zone is refused, and nothing is written") {
  SimClusterOptions options = SimClusterOptions::Nodes(4);
  options.zones = {{"n1", "a"}, {"n2", "b"}, {"n3", "c"}, {"n4", "d"}};
  SimCluster cluster(options);

  Result<SimGet> unknown = cluster.Get("n1", "k", 0, "x");
  CHECK(unknown.status().code() == ErrorCode::kInvalidArgument);
  CHECK(Has(unknown.status(), "no node of the ring is in zone x: its zones are a, b, c, d"));
  Status put_unknown = cluster.Put("n1", "k", "v", {}, 0, false, "x");
  CHECK(put_unknown.code() == ErrorCode::kInvalidArgument);
  CHECK(cluster.Get("n1", "k", 2, "a").status().code() == ErrorCode::kInvalidArgument);
  CHECK(cluster.Put("n1", "k", "v", {}, 2, false, "a").code() == ErrorCode::kInvalidArgument);

  // With 4 zones and N=3, a key lacks one zone.
  std::string key;
  for (int i = 0; key.empty(); ++i)
    if (CountOf(ReplicasOf(cluster, Key(i)), {"n4"}) == 0) key = Key(i);
  Result<SimGet> none = cluster.Get("n4", key, 0, "d");
  CHECK(none.status().code() == ErrorCode::kInvalidArgument);
  CHECK(Has(none.status(), "the key has no replica in zone d"));
  for (const char* via : {"n1", "n4"}) {
    Status put = cluster.Put(via, key, "v", {}, 0, false, "d");
    CHECK(put.code() == ErrorCode::kInvalidArgument);
    CHECK(Has(put, "no local quorum of zone d can be met"));
  }
  for (const char* id : {"n1", "n2", "n3", "n4"}) CHECK(cluster.StoredAt(id, key).empty());
  CHECK(cluster.Put("n4", key, "v", {}, 0, false, "a").ok());
}

}  // namespace kv
