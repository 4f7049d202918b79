// Merkle-tree anti-entropy (kvrepair's RepairRequest) in a whole cluster over the simulated
// network: a replica that missed writes (no hinted handoff) is healed, a second repair finds
// nothing (riak_test's verify_aae), concurrent versions meet as siblings, never by last write,
// and a node whose data directory was wiped gets everything back without its new writes being
// taken for the old ones (Riak's KV679, with its positive control).
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <thread>

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
  cluster.WaitUntilAllUp();
  // The control: nothing brought the writes to n3 (no hints, no reads).
  int missing = 0;
  for (int i = 0; i < kKeys; ++i)
    missing += cluster.StoredAt("n3", fmt::format("key-{}", i)).empty();
  REQUIRE(missing == kKeys);

  RepairResponse repaired = cluster.RepairAll("n3");
  CHECK(repaired.replicas_unreachable == 0);
  // Each key was fetched once, from the first peer (n1 and n2 both hold every key); the second
  // peer and the second pass then found the trees equal: one transfer per differing key.
  CHECK(repaired.keys_repaired == kKeys);
  CHECK(repaired.keys_differing == kKeys);
  CHECK(repaired.keys_transferred == kKeys);
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = fmt::format("key-{}", i);
    CHECK(cluster.StoredAt("n3", key) == cluster.StoredAt("n1", key));
  }
  // Only the differing keys crossed: far fewer bytes than comparing every key would take.
  RepairResponse again = cluster.RepairAll("n3");
  CHECK(again.keys_repaired == 0);
  CHECK(again.keys_compared == 0);
}

TEST_CASE("repair (sim): what the first peer brought reaches the last peer in the same repair") {
  // The initiator builds its trees for every peer in one scan. Keys fetched from the first peer
  // change what it holds, so the later peers' trees must come from a fresh scan: from trees of
  // before, n3 and n2 would agree that neither has the keys, and the second pass, which goes back
  // to the earlier peers only, would not reach n2 either.
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  SimCluster cluster(options);
  cluster.network().Crash(SimCluster::AddressOf("n2"));
  cluster.network().Crash(SimCluster::AddressOf("n3"));
  constexpr int kKeys = 100;
  for (int i = 0; i < kKeys; ++i)
    REQUIRE(cluster.Put("n1", fmt::format("key-{}", i), fmt::format("v{}", i), {}, 1).ok());
  cluster.network().Recover(SimCluster::AddressOf("n2"));
  cluster.network().Recover(SimCluster::AddressOf("n3"));
  cluster.WaitUntilAllUp();

  RepairResponse repaired = cluster.RepairAll("n3");  // its peers in order: n1, then n2
  CHECK(repaired.replicas_unreachable == 0);
  // Fetched from n1, then sent to n2: two transfers a key.
  CHECK(repaired.keys_transferred == 2 * kKeys);
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = fmt::format("key-{}", i);
    REQUIRE(!cluster.StoredAt("n1", key).empty());
    CHECK(cluster.StoredAt("n2", key) == cluster.StoredAt("n1", key));
    CHECK(cluster.StoredAt("n3", key) == cluster.StoredAt("n1", key));
  }
}

TEST_CASE("repair (sim): a large range gets a deeper tree, so few keys are compared per drift") {
  // 40,000 keys, put straight into the engines (a client write each would take minutes here);
  // n3 lacks every 100th. A tree of the default depth (1,024 leaves, ~39 keys a leaf) would
  // make about 330 leaves differ and compare ~25,000 keys; n3 sizes its trees to its keys
  // (MerkleDepthFor: depth 12, ~10 keys a leaf), so the comparison stays near 8,000.
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  SimCluster cluster(options);
  constexpr int kKeys = 40'000;
  int missing = 0;
  for (int i = 0; i < kKeys; ++i) {
    SiblingSet set;
    Version v;
    v.dot = Dot{.id = 7, .counter = static_cast<uint64_t>(i) + 1};
    v.value = fmt::format("v{}", i);
    set.Add(v);
    const std::string key = fmt::format("key-{:05}", i);
    const std::string encoded = set.Encode();
    for (const char* id : {"n1", "n2", "n3"}) {
      if (std::string_view(id) == "n3" && i % 100 == 0) continue;
      REQUIRE(cluster.engine(id).Put(key, encoded).ok());
    }
    missing += i % 100 == 0;
  }
  REQUIRE(MerkleDepthFor(kKeys - missing) == 12);

  RepairResponse repaired = cluster.RepairAll("n3");
  CHECK(repaired.replicas_unreachable == 0);
  CHECK(repaired.keys_differing == static_cast<uint64_t>(missing));
  CHECK(repaired.keys_repaired == static_cast<uint64_t>(missing));
  MESSAGE(repaired.keys_compared << " keys compared for " << missing << " differing");
  CHECK(repaired.keys_compared < 12'000);
  for (int i = 0; i < kKeys; i += 100)
    CHECK(cluster.StoredAt("n3", fmt::format("key-{:05}", i)) ==
          cluster.StoredAt("n1", fmt::format("key-{:05}", i)));
  CHECK(cluster.RepairAll("n3").keys_compared == 0);
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

TEST_CASE("repair (sim): a peer that crashes with keys in flight is reported, not a success") {
  // A session repairs through a window of keys at once (kRepairWindow): the lanes that were in
  // flight when the peer went away fail, and that failure is the session's, however many other
  // keys of the window succeeded. The other peer then brings the rest: each key exactly once.
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  options.anti_entropy_timeout = std::chrono::milliseconds(1000);  // the reads n1 never answers
  SimCluster cluster(options);
  cluster.network().Crash(SimCluster::AddressOf("n3"));
  constexpr int kKeys = 400;
  for (int i = 0; i < kKeys; ++i)
    REQUIRE(cluster.Put("n1", fmt::format("key-{}", i), fmt::format("v{}", i)).ok());
  cluster.network().Recover(SimCluster::AddressOf("n3"));
  cluster.WaitUntilAllUp();
  // Slow enough that a window of reads is still on the wire when n1 goes.
  cluster.network().SetDelay(std::chrono::milliseconds(1), std::chrono::milliseconds(3));
  const SimMessageCounts reads_before =
      cluster.network().Counts(wire::MessageType::kReplicaReadRequest);
  std::thread crasher([&] {
    // n1 is n3's first peer (ring order): crash it a quarter of the way through.
    while (cluster.network().Counts(wire::MessageType::kReplicaReadRequest).sent <
           reads_before.sent + kKeys / 4)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    cluster.network().Crash(SimCluster::AddressOf("n1"));
  });
  RepairResponse repaired = cluster.RepairAll("n3");
  crasher.join();
  CHECK(repaired.replicas_unreachable == 1);
  MESSAGE(repaired.problems);
  const uint64_t reads =
      cluster.network().Counts(wire::MessageType::kReplicaReadRequest).sent - reads_before.sent;
  MESSAGE(reads);
  // Its own session failed (not only the second pass, which would find it down anyway).
  CHECK(repaired.problems.starts_with("n1: "));
  CHECK(repaired.problems.find("second pass") == std::string::npos);
  // n1 merged part of the keys before it went, n2 the rest: counted once each.
  CHECK(repaired.keys_repaired == kKeys);
  CHECK(repaired.keys_transferred == kKeys);
  int missing = 0;
  for (int i = 0; i < kKeys; ++i)
    missing += cluster.StoredAt("n3", fmt::format("key-{}", i)).empty();
  CHECK(missing == 0);
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

// Riak's KV679, step by step. n3 coordinates writes of three keys and of a bulk of others; its
// data directory is wiped and it starts again; it then coordinates new writes of the three keys:
//  - "blind": written twice before (history {n3: 2}), then blindly (no context) after the wipe;
//  - "stale": "b" superseded "a" before the wipe; after it a client that read only "a" writes
//    "e" with that old context (history {n3: 1}, the same history "b" was written with);
//  - "fresh": read after the wipe (from the other replicas) and written with that context.
// Then `kvrepair` on n3. What each key holds afterwards, on every node, is returned.
struct Kv679Outcome {
  std::map<std::string, std::vector<std::string>> values;  // key -> its values on n1, sorted
  bool replicas_agree = true;   // n1, n2, n3 hold the same set of every key
  bool new_clock_id = false;    // n3 came back with another clock id
  int bulk_missing_before = 0;  // bulk keys n3 lacked after the wipe, before the repair
  int bulk_missing_after = 0;   // ... after it
  RepairResponse repair;
  // The writes with contexts read before the wipe ("stale") and after it ("fresh").
  Status stale_write;
  Status fresh_write;
};

std::vector<std::string> ValuesOf(const SiblingSet& set) {
  std::vector<std::string> out;
  for (const Version& v : set.versions()) out.push_back(v.tombstone ? "<tombstone>" : v.value);
  std::sort(out.begin(), out.end());
  return out;
}

Kv679Outcome RunKv679(SimCluster::WipeOptions wipe) {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  SimCluster cluster(options);
  constexpr uint32_t kAll = 3;  // every write on every replica before it is acknowledged
  constexpr int kBulk = 100;
  for (int i = 0; i < kBulk; ++i)
    REQUIRE(cluster.Put("n3", fmt::format("bulk-{}", i), "v", {}, kAll).ok());
  REQUIRE(cluster.Put("n3", "blind", "old-1", {}, kAll).ok());
  Result<SimGet> got = cluster.Get("n3", "blind");
  REQUIRE(got.ok());
  REQUIRE(cluster.Put("n3", "blind", "old-2", got->context, kAll).ok());
  REQUIRE(cluster.Put("n3", "stale", "a", {}, kAll).ok());
  Result<SimGet> read_a = cluster.Get("n3", "stale");
  REQUIRE(read_a.ok());
  REQUIRE(cluster.Put("n3", "stale", "b", read_a->context, kAll).ok());
  REQUIRE(cluster.Put("n3", "fresh", "x", {}, kAll).ok());
  const ClockId old_clock = cluster.service("n3").identity().clock_id;

  cluster.Wipe("n3", wipe);
  REQUIRE(SimCluster::Eventually([&] {
    for (const char* a : {"n1", "n2", "n3"})
      for (const char* b : {"n1", "n2", "n3"})
        if (!cluster.SeesUp(a, b)) return false;
    return cluster.service("n3").gossiper().view()->ring->nodes().size() == 3;
  }));
  Kv679Outcome out;
  out.new_clock_id = cluster.service("n3").identity().clock_id != old_clock;
  for (int i = 0; i < kBulk; ++i)
    out.bulk_missing_before += cluster.StoredAt("n3", fmt::format("bulk-{}", i)).empty();

  // Coordinated by n3 with its new (or, for the control, its old) clock id; acknowledged by all.
  REQUIRE(cluster.Put("n3", "blind", "new", {}, kAll).ok());
  out.stale_write = cluster.Put("n3", "stale", "e", read_a->context, kAll);
  Result<SimGet> read_x = cluster.Get("n3", "fresh");
  REQUIRE(read_x.ok());
  REQUIRE(read_x->Values() == std::vector<std::string>{"x"});
  out.fresh_write = cluster.Put("n3", "fresh", "y", read_x->context, kAll);

  out.repair = cluster.RepairAll("n3");
  REQUIRE(out.repair.replicas_unreachable == 0);
  for (int i = 0; i < kBulk; ++i)
    out.bulk_missing_after += cluster.StoredAt("n3", fmt::format("bulk-{}", i)).empty();
  for (const char* key : {"blind", "stale", "fresh"}) {
    out.values[key] = ValuesOf(cluster.StoredAt("n1", key));
    for (const char* id : {"n2", "n3"})
      if (!(cluster.StoredAt(id, key) == cluster.StoredAt("n1", key))) out.replicas_agree = false;
  }
  return out;
}

TEST_CASE("repair (sim): a wiped node gets everything back and its new clock id loses no write") {
  // n3 keeps its MEMBERSHIP file, so it returns as a member at once, empty: the case for kvrepair.
  const Kv679Outcome out = RunKv679({.keep_membership = true, .keep_clock_id = false});
  CHECK(out.new_clock_id);
  CHECK(out.stale_write.ok());
  CHECK(out.fresh_write.ok());
  CHECK(out.bulk_missing_before == 100);  // the control: the wipe took them all
  CHECK(out.bulk_missing_after == 0);
  CHECK(out.replicas_agree);
  // The blind write saw nothing: a sibling of what was there, not dominated by {n3: 2}.
  CHECK(out.values.at("blind") == std::vector<std::string>{"new", "old-2"});
  // "e" and "b" both descend from "a" only: concurrent, both kept.
  CHECK(out.values.at("stale") == std::vector<std::string>{"b", "e"});
  // A write with the context read after the wipe supersedes exactly what was read.
  CHECK(out.values.at("fresh") == std::vector<std::string>{"y"});
  // Every key n3 lacked crossed once, from one replica: transferred = differing.
  CHECK(out.repair.keys_differing >= 100);
  CHECK(out.repair.keys_transferred == out.repair.keys_differing);
}

// The positive control: a node that lost its data but kept its clock id (KV679's bug) reissues
// dots it has forgotten, and acknowledged writes are lost. This is why IDENTITY goes with the data.
TEST_CASE(
    "repair (sim): positive control - a wiped node that keeps its old clock id loses writes") {
  const Kv679Outcome out = RunKv679({.keep_membership = true, .keep_clock_id = true});
  CHECK_FALSE(out.new_clock_id);
  CHECK(out.bulk_missing_after == 0);  // repair itself still works
  // "new" got the dot (n3, 1), which the surviving "old-2" ({n3: 2}) covers: dropped.
  CHECK(out.values.at("blind") == std::vector<std::string>{"old-2"});
  // The writes with contexts naming n3's old counters are refused now (ReplicaStore::
  // CheckContext: they claim more of n3's clock than its wiped reservation has issued), which
  // spares "b" — without that check "e" got the dot (n3, 2) over {n3: 1}, the very history of
  // "b", and one of the two went. The blind write's loss stays: nothing there to check.
  CHECK(out.stale_write.code() == ErrorCode::kInvalidArgument);
  CHECK(out.stale_write.message().find("which has issued only") != std::string::npos);
  CHECK(out.fresh_write.code() == ErrorCode::kInvalidArgument);
  CHECK(out.values.at("stale") == std::vector<std::string>{"b"});
}

// A node that lost its whole directory, MEMBERSHIP too, is a new node: it joins, and streams every
// key it replicates before it serves (a wiped node never answers reads or issues dots from an
// empty store), so nothing is missing when it turns normal, before any kvrepair.
TEST_CASE(
    "repair (sim): a node wiped whole rejoins with every key and its new writes lose nothing") {
  const Kv679Outcome out = RunKv679({.keep_membership = false, .keep_clock_id = false});
  CHECK(out.new_clock_id);
  CHECK(out.stale_write.ok());
  CHECK(out.fresh_write.ok());
  CHECK(out.bulk_missing_before == 0);
  CHECK(out.bulk_missing_after == 0);
  CHECK(out.replicas_agree);
  CHECK(out.values.at("blind") == std::vector<std::string>{"new", "old-2"});
  CHECK(out.values.at("stale") == std::vector<std::string>{"b", "e"});
  CHECK(out.values.at("fresh") == std::vector<std::string>{"y"});
}

// A node that lost its data and has not reached the cluster knows no replica but itself: a
// repair would reach nobody and report success. kvrepair is refused (Unavailable: exit 3) until
// it has, and nothing is recorded for tombstone GC meanwhile; once it has, repair works.
void RepairRefusedUntilTheClusterIsReached(SimCluster::WipeOptions wipe, std::string_view why) {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  REQUIRE(cluster.Put("n1", "k", "v").ok());
  // n1 and n2 away: the wiped n3 can reach nobody (and nobody can tell it about the cluster).
  for (const char* id : {"n1", "n2"}) cluster.network().Crash(SimCluster::AddressOf(id));
  cluster.Wipe("n3", wipe);
  for (const RepairRequest& request :
       {RepairRequest{.list_ranges = true}, RepairRequest{.range_start = 0, .range_end = 0}}) {
    Result<RepairResponse> refused = cluster.Repair("n3", request);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == ErrorCode::kUnavailable);
    CHECK(refused.status().message().find(why) != std::string::npos);
  }
  CHECK(cluster.tombstone_gc("n3").LastCompleteRepair(KeyToken("k")) == 0);

  for (const char* id : {"n1", "n2"}) cluster.network().Recover(SimCluster::AddressOf(id));
  const std::vector<std::string> all = {"n1", "n2", "n3"};
  REQUIRE(SimCluster::Eventually(
      [&] {
        if (!cluster.RingIs(all, all)) return false;
        for (const std::string& a : all)
          for (const std::string& b : all)
            if (!cluster.SeesUp(a, b)) return false;
        return true;
      },
      std::chrono::seconds(30)));
  CHECK(cluster.RepairAll("n3").replicas_unreachable == 0);
  CHECK(cluster.tombstone_gc("n3").LastCompleteRepair(KeyToken("k")) > 0);
  CHECK_FALSE(cluster.StoredAt("n3", "k").empty());
}

TEST_CASE("repair (sim): a wiped node still joining refuses kvrepair and records nothing") {
  RepairRefusedUntilTheClusterIsReached({.keep_membership = false, .keep_clock_id = false},
                                        "this node is joining");
}

TEST_CASE(
    "repair (sim): a wiped member that has not reached the cluster refuses kvrepair and records "
    "nothing") {
  RepairRefusedUntilTheClusterIsReached({.keep_membership = true, .keep_clock_id = false},
                                        "has not reached the cluster");
}

}  // namespace
}  // namespace kv
