#include "libkv/membership/ring_members.h"

#include "libkv/ring/token.h"

namespace kv {

namespace {

template <class Pred>
std::vector<RingMember> MembersWhere(const MembershipTable& table, Pred in_ring) {
  std::vector<RingMember> out;
  for (const auto& [id, s] : table.states()) {
    if (!in_ring(s.status) || s.token_kind == TokenKind::kPending) continue;
    out.push_back(RingMember{
        id,
        s.token_kind == TokenKind::kChosen ? s.tokens : VnodeTokens(id, static_cast<int>(s.vnodes)),
        s.zone});
  }
  return out;
}

}  // namespace

std::vector<RingMember> RingMembersOf(const MembershipTable& table) {
  return MembersWhere(
      table, [](NodeStatus s) { return s == NodeStatus::kNormal || s == NodeStatus::kLeaving; });
}

std::vector<RingMember> FutureRingMembersOf(const MembershipTable& table) {
  return MembersWhere(
      table, [](NodeStatus s) { return s == NodeStatus::kNormal || s == NodeStatus::kJoining; });
}

}  // namespace kv
