#include "libkv/membership/membership.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>

namespace kv {
namespace {

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

// One full exchange started by `a`: a's SYN, b's ACK, a's ACK2.
void Exchange(MembershipTable* a, MembershipTable* b, uint64_t now) {
  GossipAckMessage ack = b->HandleSyn(a->MakeSyn());
  AckOutcome outcome = a->HandleAck(ack, now);
  (void)b->HandleAck2(outcome.reply, now);
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
  AckOutcome outcome = a.HandleAck(ack, kT0);
  REQUIRE(outcome.changes.size() == 1);
  CHECK(outcome.changes[0] == StateChange{"n2", StateChange::Kind::kNew, true});
  REQUIRE(outcome.reply.states.size() == 1);
  CHECK(outcome.reply.states[0] == a.self());
  auto changes = b.HandleAck2(outcome.reply, kT0);
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

TEST_CASE("membership: what others say about this node is ignored") {
  MembershipTable a(Self("n1"));
  NodeState forged = Self("n1", 999);
  forged.address = "evil:1";
  auto changes = a.Apply({forged}, kT0);
  CHECK(changes.empty());
  CHECK(a.self().generation == 100);
  // Nor does it ask anyone for its own state.
  GossipAckMessage ack = a.HandleSyn(GossipSynMessage{"n2", {{"n1", 999, 5}}});
  CHECK(ack.requests.empty());
}

TEST_CASE("membership: a restart with a higher generation replaces the old state") {
  MembershipTable a(Self("n1"));
  NodeState old_life = Self("n2", 100);
  old_life.version = 500;
  old_life.vnodes = 16;
  REQUIRE(a.Apply({old_life}, kT0).size() == 1);
  NodeState new_life = Self("n2", 101);
  new_life.vnodes = 32;
  new_life.version = 0;
  auto changes = a.Apply({new_life}, kT0 + 10 * kSecond);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0] == StateChange{"n2", StateChange::Kind::kRestarted, true});
  CHECK(*a.Find("n2") == new_life);
  // The old life's gossip, still travelling, no longer wins.
  old_life.version = 501;
  CHECK(a.Apply({old_life}, kT0 + 11 * kSecond).empty());
  CHECK(a.Find("n2")->generation == 101);
  // A heartbeat of the same life is an update that leaves the ring alone.
  new_life.version = 1;
  changes = a.Apply({new_life}, kT0 + 11 * kSecond);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0] == StateChange{"n2", StateChange::Kind::kUpdated, false});
}

TEST_CASE("membership: a node that has left is never up, and stays known") {
  MembershipTable a(Self("n1"));
  NodeState n2 = Self("n2");
  (void)a.Apply({n2}, kT0);
  CHECK(a.IsUp("n2", kT0));
  n2.status = NodeStatus::kLeft;
  n2.version = 1;
  auto changes = a.Apply({n2}, kT0 + kSecond);
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
  (void)a.Apply({n2, n3}, kT0);
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
  restarted.Restore(*states);
  CHECK(restarted.self().generation == 101);
  CHECK(restarted.states().size() == 3);
  CHECK(*restarted.Find("n2") == n2);
  CHECK_FALSE(restarted.IsUp("n2", kT0));
  CHECK(restarted.UnreachablePeers(kT0) == std::vector<std::string>{"n2", "n3"});
  // The same state again is no heartbeat; a newer one is.
  CHECK(restarted.Apply({n2}, kT0).empty());
  n2.version = 78;
  CHECK(restarted.Apply({n2}, kT0).size() == 1);
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
  (void)a.Apply(peers, kT0);
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

}  // namespace
}  // namespace kv
