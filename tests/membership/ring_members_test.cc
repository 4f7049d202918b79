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

}  // namespace
}  // namespace kv
