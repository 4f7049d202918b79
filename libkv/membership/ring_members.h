// The ring a membership table implies: which nodes hold tokens, and which tokens. Every node
// computes the same ring from the same gossip, since tokens are VnodeTokens(id, vnodes).
// Pure, any thread (on a table the caller is not changing).
#pragma once

#include <vector>

#include "libkv/membership/membership.h"
#include "libkv/ring/ring.h"

namespace kv {

// Nodes that are normal or leaving, with their tokens, sorted by id. Up or down does not matter:
// a down node keeps its ranges (sloppy quorum routes around it, Ring::SloppyPreferenceList).
// Joining nodes take no tokens until they turn normal, and left ones have none (issue 6 may
// refine this when it streams ranges to a joining node).
std::vector<RingMember> RingMembersOf(const MembershipTable& table);

}  // namespace kv
