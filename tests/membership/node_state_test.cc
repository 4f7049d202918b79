#include "libkv/membership/node_state.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>

#include "libkv/membership/gossip_messages.h"
#include "libkv/membership/membership_format.h"

namespace kv {
namespace {

NodeState State(std::string id, uint64_t generation, uint64_t version) {
  NodeState s;
  s.address = "127.0.0.1:" + std::to_string(7000 + id.size());
  s.id = std::move(id);
  s.generation = generation;
  s.version = version;
  s.status = NodeStatus::kNormal;
  s.vnodes = 64;
  s.clock_id = 0x0123456789abcdefULL;
  return s;
}

TEST_CASE("node state: newer means a larger (generation, version)") {
  CHECK(IsNewer(State("a", 2, 0), State("a", 1, 999)));
  CHECK(IsNewer(State("a", 1, 5), State("a", 1, 4)));
  CHECK_FALSE(IsNewer(State("a", 1, 4), State("a", 1, 4)));
  CHECK_FALSE(IsNewer(State("a", 1, 999), State("a", 2, 0)));
  CHECK(CompareVersions(1, 1, 1, 1) == 0);
  CHECK(DigestOf(State("a", 3, 7)) == GossipDigest{"a", 3, 7});
  CHECK(NodeStatusName(NodeStatus::kLeaving) == "leaving");
}

TEST_CASE("node state: a restart's generation is its start time, always above the last one") {
  CHECK(NextGeneration(1000, std::nullopt) == 1000);
  CHECK(NextGeneration(1000, 900) == 1000);
  CHECK(NextGeneration(1000, 1000) == 1001);  // restarted within the same second
  CHECK(NextGeneration(1000, 5000) == 5001);  // the clock went back
}

TEST_CASE("gossip messages: encode and decode round trip") {
  GossipSynMessage syn{"node1", {{"node1", 1700000000, 42}, {"node2", 1, 0}}};
  auto syn2 = DecodeGossipSyn(EncodeGossipSyn(syn));
  REQUIRE(syn2.ok());
  CHECK(*syn2 == syn);

  NodeState joining = State("node3", 1700000123, 1ULL << 40);
  joining.status = NodeStatus::kJoining;
  joining.address = "[::1]:7003";
  GossipAckMessage ack{{State("node1", 5, 6), joining}, {{"node4", 0, 0}}};
  auto ack2 = DecodeGossipAck(EncodeGossipAck(ack));
  REQUIRE(ack2.ok());
  CHECK(*ack2 == ack);

  GossipAck2Message a2{{State("x", 1, 1)}};
  auto a22 = DecodeGossipAck2(EncodeGossipAck2(a2));
  REQUIRE(a22.ok());
  CHECK(*a22 == a2);

  GossipAck2Message empty;
  auto e = DecodeGossipAck2(EncodeGossipAck2(empty));
  REQUIRE(e.ok());
  CHECK(e->states.empty());
}

TEST_CASE("gossip messages: every truncation and a wrong kind are Corruption") {
  GossipAckMessage ack{{State("node1", 5, 6), State("node22", 7, 8)}, {{"node4", 1, 2}}};
  std::string bytes = EncodeGossipAck(ack);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeGossipAck(std::string_view(bytes).substr(0, n));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().Is(ErrorCode::kCorruption));
  }
  CHECK(DecodeGossipAck(bytes + "x").status().Is(ErrorCode::kCorruption));
  CHECK(DecodeGossipSyn(bytes).status().Is(ErrorCode::kCorruption));
  CHECK(DecodeGossipAck2(bytes).status().Is(ErrorCode::kCorruption));
  std::string wrong_version = bytes;
  wrong_version[0] = 9;
  CHECK(DecodeGossipAck(wrong_version).status().Is(ErrorCode::kCorruption));
}

TEST_CASE("gossip messages: bad fields are Corruption") {
  NodeState s = State("n", 1, 1);
  SUBCASE("unknown status") {
    std::string bytes;
    s.status = static_cast<NodeStatus>(7);
    AppendNodeState(&bytes, s);
    std::string_view in = bytes;
    CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
  }
  SUBCASE("empty id") {
    std::string bytes;
    s.id.clear();
    AppendNodeState(&bytes, s);
    std::string_view in = bytes;
    CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
  }
  SUBCASE("too many vnodes") {
    std::string bytes;
    s.vnodes = 1 << 20;
    AppendNodeState(&bytes, s);
    std::string_view in = bytes;
    CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
  }
  SUBCASE("a count the bytes cannot hold is refused before allocating") {
    // format version, kind ACK2, count 4,000 with nothing after it.
    std::string bytes = {1, 3, static_cast<char>(0xa0), 0x1f};
    CHECK(DecodeGossipAck2(bytes).status().Is(ErrorCode::kCorruption));
    std::string huge = {1,
                        3,
                        static_cast<char>(0xff),
                        static_cast<char>(0xff),
                        static_cast<char>(0xff),
                        static_cast<char>(0xff),
                        0x0f};
    CHECK(DecodeGossipAck2(huge).status().Is(ErrorCode::kCorruption));
  }
}

TEST_CASE("gossip: a node state carries its cluster settings; a format-1 state states none") {
  NodeState s = State("n", 1, 1);
  s.settings = {
      .replicas = 3, .read_quorum = 2, .write_quorum = 2, .partitioner = kPartitionerXxh64};
  std::string bytes;
  AppendNodeState(&bytes, s);
  std::string_view in = bytes;
  Result<NodeState> back = ConsumeNodeState(&in, kGossipFormatVersion);
  REQUIRE(back.ok());
  CHECK(*back == s);
  CHECK(in.empty());
  // Format 1 (an older node's message, a membership file written before): the same state
  // without the settings' four bytes (three one-byte varints and the partitioner), nor format 3's
  // three (an empty zone and two zero loads), nor format 4's token kind.
  const std::string format1 = bytes.substr(0, bytes.size() - 4 - 3 - 1);
  in = format1;
  Result<NodeState> old = ConsumeNodeState(&in, 1);
  REQUIRE(old.ok());
  CHECK_FALSE(old->settings.stated());
  CHECK(in.empty());
  // Cut inside the settings: Corruption.
  const std::string cut = bytes.substr(0, bytes.size() - 1);
  in = cut;
  CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
}

TEST_CASE("gossip: a node state carries its zone and load; a format-2 state states neither") {
  NodeState s = State("n", 1, 1);
  s.settings = {
      .replicas = 3, .read_quorum = 2, .write_quorum = 2, .partitioner = kPartitionerXxh64};
  s.zone = "rack-a";
  s.load = {.disk_bytes = 5'000'000'000, .keys = 12'345'678};
  std::string bytes;
  AppendNodeState(&bytes, s);
  std::string_view in = bytes;
  Result<NodeState> back = ConsumeNodeState(&in, kGossipFormatVersion);
  REQUIRE(back.ok());
  CHECK(*back == s);
  CHECK(in.empty());

  // Format 2: the same bytes up to the settings; read as 2 they end there.
  NodeState without = s;
  without.zone.clear();
  without.load = {};
  std::string format2;
  AppendNodeState(&format2, without);
  format2.resize(format2.size() - 3 - 1);  // format 3's empty zone and two zero varints, 4's kind
  in = format2;
  Result<NodeState> old = ConsumeNodeState(&in, 2);
  REQUIRE(old.ok());
  CHECK(*old == without);
  CHECK(in.empty());

  // Every cut inside the zone or load is Corruption, never a crash.
  for (size_t cut = format2.size(); cut < bytes.size(); ++cut) {
    const std::string prefix = bytes.substr(0, cut);
    in = prefix;
    CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
  }
  // A zone past kMaxZoneBytes.
  s.zone.assign(kMaxZoneBytes + 1, 'z');
  std::string long_zone;
  AppendNodeState(&long_zone, s);
  in = long_zone;
  CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
}

TEST_CASE("gossip: a node state carries its chosen tokens; a format-3 state has hashed ones") {
  NodeState s = State("n", 1, 1);
  s.vnodes = 4;
  s.zone = "rack-a";
  s.token_kind = TokenKind::kChosen;
  s.tokens = {1, 1ULL << 40, ~0ULL - 7, 12345};
  std::string bytes;
  AppendNodeState(&bytes, s);
  std::string_view in = bytes;
  Result<NodeState> back = ConsumeNodeState(&in, kGossipFormatVersion);
  REQUIRE(back.ok());
  CHECK(*back == s);
  CHECK(in.empty());
  // In a message and in the membership file's encoding of states alike.
  GossipAck2Message message{{s, State("m", 2, 3)}};
  auto decoded = DecodeGossipAck2(EncodeGossipAck2(message));
  REQUIRE(decoded.ok());
  CHECK(*decoded == message);

  // Pending: the kind alone.
  NodeState pending = State("p", 1, 1);
  pending.token_kind = TokenKind::kPending;
  std::string pending_bytes;
  AppendNodeState(&pending_bytes, pending);
  in = pending_bytes;
  back = ConsumeNodeState(&in, kGossipFormatVersion);
  REQUIRE(back.ok());
  CHECK(back->token_kind == TokenKind::kPending);
  CHECK(back->tokens.empty());

  // Format 3: the bytes up to the load, read as 3, are a state with hashed tokens.
  NodeState hashed = s;
  hashed.token_kind = TokenKind::kHashed;
  hashed.tokens.clear();
  std::string format3;
  AppendNodeState(&format3, hashed);
  format3.pop_back();  // format 4's kind
  in = format3;
  Result<NodeState> old = ConsumeNodeState(&in, 3);
  REQUIRE(old.ok());
  CHECK(*old == hashed);
  CHECK(in.empty());

  // Every cut inside the kind or the tokens is Corruption; so are a count other than vnodes and
  // an unknown kind.
  for (size_t cut = format3.size(); cut < bytes.size(); ++cut) {
    const std::string prefix = bytes.substr(0, cut);
    in = prefix;
    CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
  }
  NodeState miscounted = s;
  miscounted.tokens.pop_back();
  std::string miscounted_bytes;
  AppendNodeState(&miscounted_bytes, miscounted);
  in = miscounted_bytes;
  CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
  std::string unknown_kind = format3 + '\x03';
  in = unknown_kind;
  CHECK(ConsumeNodeState(&in, kGossipFormatVersion).status().Is(ErrorCode::kCorruption));
}

TEST_CASE("gossip: SettingsDifference names the first setting that differs and both values") {
  NodeState here = State("a", 1, 1);
  here.settings = {
      .replicas = 3, .read_quorum = 2, .write_quorum = 2, .partitioner = kPartitionerXxh64};
  NodeState there = State("b", 1, 1);
  there.settings = here.settings;
  CHECK(SettingsDifference(here, there, "here", "on node b").empty());
  there.settings.replicas = 2;
  CHECK(SettingsDifference(here, there, "here", "on node b") ==
        "N (--replicas) is 3 here and 2 on node b");
  there.settings = here.settings;
  there.settings.write_quorum = 3;
  CHECK(SettingsDifference(here, there, "here", "on node b") ==
        "W (--write-quorum) is 2 here and 3 on node b");
  there.settings = here.settings;
  there.vnodes = 16;
  CHECK(SettingsDifference(here, there, "here", "on node b") ==
        "vnodes (--vnodes) is 64 here and 16 on node b");
  there.settings.partitioner = 9;
  there.vnodes = here.vnodes;
  CHECK(SettingsDifference(here, there, "here", "on node b").find("partitioner") !=
        std::string::npos);
  // A state that states no settings (format 1) is compared with nothing.
  there.settings = ClusterSettings{};
  there.vnodes = 16;
  CHECK(SettingsDifference(here, there, "here", "on node b").empty());
}

TEST_CASE("gossip messages: random corruption never crashes (seeded)") {
  constexpr uint64_t kSeed = 4242;
  std::printf("gossip decode fuzz seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  GossipAckMessage ack{{State("node1", 5, 6), State("node22", 7, 8)}, {{"node4", 1, 2}}};
  std::string good = EncodeGossipAck(ack);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    auto r = DecodeGossipAck(bytes);
    if (r.ok()) {
      ++decoded;
      // Whatever decodes is a well-formed message: it survives its own round trip.
      auto again = DecodeGossipAck(EncodeGossipAck(*r));
      REQUIRE(again.ok());
      CHECK(*again == *r);
    } else {
      CHECK(r.status().Is(ErrorCode::kCorruption));
    }
  }
  MESSAGE("decoded " << decoded << " of 20000 corrupted messages (the rest refused)");
}

}  // namespace
}  // namespace kv
