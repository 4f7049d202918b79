#include "libkv/membership/ring_members.h"

#include "libkv/ring/token.h"

namespace kv {

std::vector<RingMember> RingMembersOf(const MembershipTable& table) {
  std::vector<RingMember> out;
  for (const auto& [id, s] : table.states()) {
    if (s.status != NodeStatus::kNormal && s.status != NodeStatus::kLeaving) continue;
    out.push_back(RingMember{id, VnodeTokens(id, static_cast<int>(s.vnodes))});
  }
  return out;
}

}  // namespace kv
