#include "libkv/membership/membership.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>

namespace kv {
namespace {

// Any wall clock: the tests' generations are far below it.
constexpr uint64_t kWallSeconds = 1700000000;

constexpr uint64_t kSecond = 1'000'000;
constexpr uint64_t kT0 = 5000 * kSecond;

NodeState Self(std::string id, uint64_t generation = 100) {
  NodeState s;
  s.address = "10.0.0." + id.substr(id.size() - 1) + ":7000";
  s.id = std::move(id);
  s.generation = generation;
  s.version = 0;
  s.status = NodeStatus::kNormal;
  s.vnodes = 16;
  s.clock_id = 7;
  return s;
}

// "<prefix><i>" (built by appending: g++ 12 warns falsely on a literal + std::string).
std::string Numbered(const char* prefix, int i) {
  std::string name(prefix);
  name += std::to_string(i);
  return name;
}

// One full exchange started by `a`: a's SYN, b's ACK, a's ACK2.
void Exchange(MembershipTable* a, MembershipTable* b, uint64_t now) {
  GossipAckMessage ack = b->HandleSyn(a->MakeSyn());
  AckOutcome outcome = a->HandleAck(ack, now, kWallSeconds);
  (void)b->HandleAck2(outcome.reply, now, kWallSeconds);
}

TEST_CASE("membership: one exchange teaches both sides about each other") {
  MembershipTable a(Self("n1"));
  MembershipTable b(Self("n2"));
  CHECK(a.states().size() == 1);
  GossipSynMessage syn = a.MakeSyn();
  REQUIRE(syn.digests.size() == 1);
  GossipAckMessage ack = b.HandleSyn(syn);
  // b pushes its own state (a never mentioned it) and asks for n1's.
  REQUIRE(ack.states.size() == 1);
  CHECK(ack.states[0].id == "n2");
  REQUIRE(ack.requests.size() == 1);
  CHECK(ack.requests[0] == GossipDigest{"n1", 0, 0});
  AckOutcome outcome = a.HandleAck(ack, kT0, kWallSeconds);
  REQUIRE(outcome.changes.size() == 1);
  CHECK(outcome.changes[0] == StateChange{"n2", StateChange::Kind::kNew, true, {}});
  REQUIRE(outcome.reply.states.size() == 1);
  CHECK(outcome.reply.states[0] == a.self());
  auto changes = b.HandleAck2(outcome.reply, kT0, kWallSeconds);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].id == "n1");
  CHECK(*a.Find("n2") == b.self());
  CHECK(*b.Find("n1") == a.self());
  CHECK(a.IsUp("n2", kT0));
  CHECK(a.IsUp("n1", kT0));  // itself
}

TEST_CASE("membership: heartbeats flow to whoever is older, in either direction") {
  MembershipTable a(Self("n1"));
  MembershipTable b(Self("n2"));
  Exchange(&a, &b, kT0);
  for (int i = 0; i < 3; ++i) a.BeatHeartbeat();
  b.BeatHeartbeat();
  // b starts: a's digest of n1 is newer, b's of n2 too.
  Exchange(&b, &a, kT0 + kSecond);
  CHECK(b.Find("n1")->version == 3);
  CHECK(a.Find("n2")->version == 1);
  // Nothing new: the ACK is empty and nothing changes.
  GossipAckMessage ack = a.HandleSyn(b.MakeSyn());
  CHECK(ack.states.empty());
  CHECK(ack.requests.empty());
}

TEST_CASE(
    "membership: a heartbeat carries the load in its one version bump, and gossip spreads it") {
  MembershipTable a(Self("n1"));
  MembershipTable b(Self("n2"));
  Exchange(&a, &b, kT0);
  CHECK(b.Find("n1")->load == NodeLoad{});
  a.BeatHeartbeat(NodeLoad{.disk_bytes = 4096, .keys = 12});
  CHECK(a.self().version == 1);  // the same bump a plain heartbeat makes
  a.BeatHeartbeat(NodeLoad{.disk_bytes = 8192, .keys = 30});
  CHECK(a.self().version == 2);
  Exchange(&b, &a, kT0 + kSecond);
  CHECK(b.Find("n1")->load == NodeLoad{.disk_bytes = 8192, .keys = 30});
  CHECK(b.Find("n1")->version == 2);
  // A plain heartbeat keeps the last load.
  a.BeatHeartbeat();
  CHECK(a.self().load == NodeLoad{.disk_bytes = 8192, .keys = 30});
}

TEST_CASE("membership: what others say about this node is never taken, but a newer one is outbid") {
  MembershipTable a(Self("n1"));
  NodeState forged = Self("n1", 999);
  forged.address = "evil:1";
  auto changes = a.Apply({forged}, kT0, kWallSeconds);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == StateChange::Kind::kSelfCorrected);
  // Its own address stays; its generation goes above the forged one, so its next gossip
  // supersedes the forgery wherever it spread.
  CHECK(a.self().address == Self("n1").address);
  CHECK(a.self().generation == 1000);
  // An older state of it changes nothing.
  CHECK(a.Apply({Self("n1", 50)}, kT0, kWallSeconds).empty());
  // Nor does it ask anyone for its own state.
  GossipAckMessage ack = a.HandleSyn(GossipSynMessage{"n2", {{"n1", 999, 5}}});
  CHECK(ack.requests.empty());
}

TEST_CASE("membership: a restart with a higher generation replaces the old state") {
  MembershipTable a(Self("n1"));
  NodeState old_life = Self("n2", 100);
  old_life.version = 500;
  old_life.vnodes = 16;
  REQUIRE(a.Apply({old_life}, kT0, kWallSeconds).size() == 1);
  NodeState new_life = Self("n2", 101);
  new_life.vnodes = 32;
  new_life.version = 0;
  auto changes = a.Apply({new_life}, kT0 + 10 * kSecond, kWallSeconds);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0] == StateChange{"n2", StateChange::Kind::kRestarted, true, {}});
  CHECK(*a.Find("n2") == new_life);
  // The old life's gossip, still travelling, no longer wins.
  old_life.version = 501;
  CHECK(a.Apply({old_life}, kT0 + 11 * kSecond, kWallSeconds).empty());
  CHECK(a.Find("n2")->generation == 101);
  // A heartbeat of the same life is an update that leaves the ring alone.
  new_life.version = 1;
  changes = a.Apply({new_life}, kT0 + 11 * kSecond, kWallSeconds);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0] == StateChange{"n2", StateChange::Kind::kUpdated, false, {}});
}

TEST_CASE("membership: a node that has left is never up, and stays known") {
  MembershipTable a(Self("n1"));
  NodeState n2 = Self("n2");
  (void)a.Apply({n2}, kT0, kWallSeconds);
  CHECK(a.IsUp("n2", kT0));
  n2.status = NodeStatus::kLeft;
  n2.version = 1;
  auto changes = a.Apply({n2}, kT0 + kSecond, kWallSeconds);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].ring_changed);
  CHECK_FALSE(a.IsUp("n2", kT0 + kSecond));
  CHECK(a.LivePeers(kT0 + kSecond).empty());
  CHECK(a.UnreachablePeers(kT0 + kSecond).empty());
  CHECK(a.Find("n2") != nullptr);
}

TEST_CASE("membership: SetStatus bumps the version so the change spreads") {
  MembershipTable a(Self("n1"));
  MembershipTable b(Self("n2"));
  Exchange(&a, &b, kT0);
  a.SetStatus(NodeStatus::kLeaving);
  CHECK(a.self().version == 1);
  Exchange(&b, &a, kT0 + kSecond);
  CHECK(b.Find("n1")->status == NodeStatus::kLeaving);
}

TEST_CASE("membership: the file round trips and refuses corruption") {
  MembershipTable a(Self("n1"));
  NodeState n2 = Self("n2");
  n2.version = 77;
  NodeState n3 = Self("n3");
  n3.status = NodeStatus::kJoining;
  (void)a.Apply({n2, n3}, kT0, kWallSeconds);
  std::string file = a.EncodeFile();
  auto states = MembershipTable::DecodeFile(file);
  REQUIRE(states.ok());
  REQUIRE(states->size() == 3);
  CHECK((*states)[0] == a.self());
  CHECK((*states)[1] == n2);
  CHECK((*states)[2] == n3);

  for (size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] ^= 0x10;
    CHECK(MembershipTable::DecodeFile(bad).status().Is(ErrorCode::kCorruption));
  }
  for (size_t n = 0; n < file.size(); ++n) {
    CHECK(MembershipTable::DecodeFile(file.substr(0, n)).status().Is(ErrorCode::kCorruption));
  }

  // A restart: a new generation for itself, the others known but down until heard from.
  uint64_t old_generation = 0;
  for (const NodeState& s : *states) {
    if (s.id == "n1") old_generation = s.generation;
  }
  MembershipTable restarted(Self("n1", NextGeneration(50, old_generation)));
  (void)restarted.Restore(*states, kWallSeconds);
  CHECK(restarted.self().generation == 101);
  CHECK(restarted.states().size() == 3);
  CHECK(*restarted.Find("n2") == n2);
  CHECK_FALSE(restarted.IsUp("n2", kT0));
  CHECK(restarted.UnreachablePeers(kT0) == std::vector<std::string>{"n2", "n3"});
  // The same state again is no heartbeat; a newer one is.
  CHECK(restarted.Apply({n2}, kT0, kWallSeconds).empty());
  n2.version = 78;
  CHECK(restarted.Apply({n2}, kT0, kWallSeconds).size() == 1);
  CHECK(restarted.IsUp("n2", kT0));
}

TEST_CASE("membership: gossip targets — seeds when alone, a live peer otherwise, never itself") {
  constexpr uint64_t kSeed = 99;
  std::mt19937_64 rng(kSeed);
  MembershipTable a(Self("n1"));
  std::vector<std::string> seeds = {a.self().address, "10.0.0.2:7000"};
  // Alone: the one seed that is not itself, every time.
  for (int i = 0; i < 20; ++i) {
    CHECK(a.ChooseGossipTargets(seeds, rng, kT0) == std::vector<std::string>{"10.0.0.2:7000"});
  }
  CHECK(a.ChooseGossipTargets({a.self().address}, rng, kT0).empty());

  std::vector<NodeState> peers;
  for (int i = 2; i <= 9; ++i) peers.push_back(Self("n" + std::to_string(i)));
  (void)a.Apply(peers, kT0, kWallSeconds);
  std::map<std::string, int> hits;
  int seed_only_extra = 0;
  for (int i = 0; i < 2000; ++i) {
    auto targets = a.ChooseGossipTargets(seeds, rng, kT0);
    REQUIRE_FALSE(targets.empty());
    CHECK(targets.size() <= 2);
    CHECK(std::find(targets.begin(), targets.end(), a.self().address) == targets.end());
    for (const auto& t : targets) ++hits[t];
    if (targets.size() == 2) ++seed_only_extra;
  }
  // Every live peer gets picked; the seed gets extra rounds, but not all of them.
  CHECK(hits.size() == 8);
  CHECK(seed_only_extra > 0);
  CHECK(seed_only_extra < 2000);

  // With every peer down, an unreachable one is tried now and then, and the seed always.
  uint64_t later = kT0 + 600 * kSecond;
  CHECK(a.LivePeers(later).empty());
  int tried_unreachable = 0;
  for (int i = 0; i < 100; ++i) {
    auto targets = a.ChooseGossipTargets(seeds, rng, later);
    CHECK(std::find(targets.begin(), targets.end(), "10.0.0.2:7000") != targets.end());
    if (targets.size() == 2) ++tried_unreachable;
  }
  CHECK(tried_unreachable > 0);
}

TEST_CASE("membership: a generation far ahead of the wall clock is refused") {
  MembershipTable a(Self("n1", kWallSeconds));
  NodeState real = Self("n2", kWallSeconds - 100);
  REQUIRE(a.Apply({real}, kT0, kWallSeconds).size() == 1);
  // Issue 13: a real node's id with generation 2^64-1 pinned its entry for ever (its restarts
  // could never supersede it) and re-routed its keys.
  NodeState forged = real;
  forged.generation = UINT64_MAX;
  forged.address = "evil:1";
  forged.vnodes = 4096;
  std::vector<StateChange> changes = a.Apply({forged}, kT0, kWallSeconds);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == StateChange::Kind::kRefused);
  CHECK(changes[0].why.find("ahead of this node's clock") != std::string::npos);
  CHECK(*a.Find("n2") == real);
  // A day ahead is the edge: within it a clock's skew is tolerated.
  forged.generation = kWallSeconds + 24 * 3600 + 1;
  CHECK(a.Apply({forged}, kT0, kWallSeconds)[0].kind == StateChange::Kind::kRefused);
  NodeState skewed = real;
  skewed.generation = kWallSeconds + 3600;
  CHECK(a.Apply({skewed}, kT0, kWallSeconds)[0].kind == StateChange::Kind::kRestarted);
  // The real node restarting later (its clock now past the skewed one) supersedes it.
  NodeState restarted = real;
  restarted.generation = kWallSeconds + 3601;
  CHECK(a.Apply({restarted}, kT0, kWallSeconds + 3601)[0].kind == StateChange::Kind::kRestarted);
  CHECK(a.Find("n2")->generation == kWallSeconds + 3601);
}

TEST_CASE("membership: a node with other cluster settings is refused, new or known") {
  const ClusterSettings cluster{
      .replicas = 3, .read_quorum = 2, .write_quorum = 2, .partitioner = kPartitionerXxh64};
  NodeState self = Self("n1", kWallSeconds);
  self.settings = cluster;
  MembershipTable a(self);
  NodeState other = Self("n2", kWallSeconds - 100);
  other.settings = cluster;
  other.settings.replicas = 2;
  std::vector<StateChange> changes = a.Apply({other}, kT0, kWallSeconds);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].kind == StateChange::Kind::kRefused);
  CHECK(changes[0].why.find("N (--replicas) is 3 here and 2 on node n2") != std::string::npos);
  CHECK(a.Find("n2") == nullptr);
  // The same node with the cluster's settings is taken; restarted with others, it is not.
  other.settings = cluster;
  REQUIRE(a.Apply({other}, kT0, kWallSeconds)[0].kind == StateChange::Kind::kNew);
  NodeState restarted = other;
  restarted.generation += 1;
  restarted.vnodes = 32;
  changes = a.Apply({restarted}, kT0, kWallSeconds);
  CHECK(changes[0].kind == StateChange::Kind::kRefused);
  CHECK(changes[0].why.find("vnodes (--vnodes) is 16 here and 32 on node n2") != std::string::npos);
  CHECK(*a.Find("n2") == other);
}

TEST_CASE("membership: a node outbids a forged newer state of itself, and it spreads") {
  // n2 was told a forged state of n1 (within the bound, so accepted); n1 hears it from n2, takes
  // a generation above it, and its next exchange corrects n2.
  MembershipTable n1(Self("n1", kWallSeconds));
  MembershipTable n2(Self("n2", kWallSeconds));
  Exchange(&n1, &n2, kT0);
  NodeState forged = Self("n1", kWallSeconds + 3600);
  forged.address = "evil:1";
  REQUIRE(n2.Apply({forged}, kT0, kWallSeconds)[0].kind == StateChange::Kind::kRestarted);
  Exchange(&n1, &n2, kT0 + kSecond);
  CHECK(n1.self().generation == kWallSeconds + 3601);
  Exchange(&n1, &n2, kT0 + 2 * kSecond);
  CHECK(n2.Find("n1")->address == n1.self().address);
  CHECK(n2.Find("n1")->generation == kWallSeconds + 3601);
}

TEST_CASE("membership: the table is capped overall; known nodes still update") {
  MembershipLimits limits;
  limits.max_members = 10;
  limits.max_ring_vnodes = 200;
  MembershipTable a(Self("n1", kWallSeconds), {}, limits);
  std::vector<NodeState> flood;
  for (int i = 0; i < 20; ++i) {
    NodeState s = Self(Numbered("f", i), kWallSeconds);
    s.vnodes = 16;
    flood.push_back(s);
  }
  std::vector<StateChange> changes = a.Apply(flood, kT0, kWallSeconds);
  size_t refused = 0;
  for (const StateChange& c : changes) refused += c.kind == StateChange::Kind::kRefused;
  // 16 vnodes each, 200 in all: n1 and 11 more would be 192; the 10-node cap binds first.
  CHECK(a.states().size() == 10);
  CHECK(refused == 11);
  CHECK(a.ring_vnodes() == 160);
  // A known node's heartbeat is still taken; one asking for more vnodes past the cap is not.
  NodeState beat = flood[0];
  beat.version = 5;
  CHECK(a.Apply({beat}, kT0, kWallSeconds)[0].kind == StateChange::Kind::kUpdated);
  NodeState grown = beat;
  grown.version = 6;
  grown.vnodes = 100;
  CHECK(a.Apply({grown}, kT0, kWallSeconds)[0].kind == StateChange::Kind::kRefused);
  // One marked left gives its vnodes back.
  NodeState left = beat;
  left.version = 7;
  left.status = NodeStatus::kLeft;
  CHECK(a.Apply({left}, kT0, kWallSeconds)[0].kind == StateChange::Kind::kUpdated);
  CHECK(a.ring_vnodes() == 144);
  // Restoring a file applies the same limits.
  MembershipTable b(Self("n1", kWallSeconds), {}, limits);
  NodeState pinned = Self("n9", UINT64_MAX);
  flood.push_back(pinned);
  std::vector<StateChange> refused_at_restore = b.Restore(flood, kWallSeconds);
  CHECK(b.states().size() == 10);
  CHECK(b.Find("n9") == nullptr);
  CHECK(refused_at_restore.size() == 12);
}

TEST_CASE("membership: the default vnode cap bounds a flood of the largest states") {
  // Issue 13: one 193 KB ACK2 of 4,096 states of 4,096 vnodes took 5-21 s and 1.9 GiB to apply
  // (rings of 16 million tokens). Capped, the ring the table implies stays at 2^18 vnodes.
  MembershipTable a(Self("n1", kWallSeconds));
  std::vector<NodeState> flood;
  for (int i = 0; i < 4096; ++i) {
    NodeState s = Self(Numbered("fake", i), kWallSeconds);
    s.vnodes = 4096;
    flood.push_back(s);
  }
  (void)a.Apply(flood, kT0, kWallSeconds);
  CHECK(a.ring_vnodes() <= MembershipLimits().max_ring_vnodes);
  CHECK(a.states().size() == 64);  // n1 (16) and 63 fakes of 4,096
}

}  // namespace
}  // namespace kv
