#include "libkv/membership/ring_members.h"

#include <doctest/doctest.h>

#include "libkv/ring/token.h"

namespace kv {

// Any wall clock: the tests' generations are far below it.
constexpr uint64_t kWallSeconds = 1700000000;
namespace {

NodeState Node(std::string id, NodeStatus status, uint32_t vnodes) {
  NodeState s;
  s.address = id + ":7000";
  s.id = std::move(id);
  s.generation = 1;
  s.status = status;
  s.vnodes = vnodes;
  return s;
}

TEST_CASE("ring members: normal and leaving nodes hold their vnode tokens, others none") {
  MembershipTable table(Node("a", NodeStatus::kNormal, 8));
  (void)table.Apply({Node("b", NodeStatus::kLeaving, 4), Node("c", NodeStatus::kJoining, 8),
                     Node("d", NodeStatus::kLeft, 8), Node("e", NodeStatus::kNormal, 2)},
                    1'000'000, kWallSeconds);
  std::vector<RingMember> members = RingMembersOf(table);
  REQUIRE(members.size() == 3);
  CHECK(members[0].id == "a");
  CHECK(members[0].tokens == VnodeTokens("a", 8));
  CHECK(members[1].id == "b");
  CHECK(members[1].tokens.size() == 4);
  CHECK(members[2].id == "e");
  Ring ring(members);
  CHECK(ring.nodes() == std::vector<std::string>{"a", "b", "e"});
  CHECK(ring.token_count() == 14);
}

TEST_CASE("ring members: the future ring has the joining nodes and not the leaving ones") {
  MembershipTable table(Node("a", NodeStatus::kNormal, 8));
  (void)table.Apply({Node("b", NodeStatus::kLeaving, 4), Node("c", NodeStatus::kJoining, 8),
                     Node("d", NodeStatus::kLeft, 8)},
                    1'000'000, kWallSeconds);
  std::vector<RingMember> future = FutureRingMembersOf(table);
  REQUIRE(future.size() == 2);
  CHECK(future[0].id == "a");
  CHECK(future[1].id == "c");
  CHECK(future[1].tokens == VnodeTokens("c", 8));
}

TEST_CASE("ring members: chosen tokens are the gossiped ones; a pending node is on no ring") {
  MembershipTable table(Node("a", NodeStatus::kNormal, 8));
  NodeState chosen = Node("b", NodeStatus::kNormal, 2);
  chosen.token_kind = TokenKind::kChosen;
  chosen.tokens = {10, 20};
  NodeState pending = Node("c", NodeStatus::kJoining, 8);
  pending.token_kind = TokenKind::kPending;
  (void)table.Apply({chosen, pending}, 1'000'000, kWallSeconds);
  std::vector<RingMember> members = RingMembersOf(table);
  REQUIRE(members.size() == 2);
  CHECK(members[0].tokens == VnodeTokens("a", 8));  // hashed: as before format 4
  CHECK(members[1].tokens == std::vector<Token>{10, 20});
  CHECK(FutureRingMembersOf(table).size() == 2);  // c has not chosen yet
  // Once it has, it joins the future ring with its tokens.
  pending.token_kind = TokenKind::kChosen;
  pending.tokens = {1, 2, 3, 4, 5, 6, 7, 8};
  pending.version = 1;
  (void)table.Apply({pending}, 1'000'000, kWallSeconds);
  const std::vector<RingMember> future = FutureRingMembersOf(table);
  REQUIRE(future.size() == 3);
  CHECK(future[2].tokens == pending.tokens);
}

}  // namespace
}  // namespace kv
