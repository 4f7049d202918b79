// The rings a membership table implies: which nodes hold tokens, and which tokens. Every node
// computes the same rings from the same gossip: a node's tokens are VnodeTokens(id, vnodes), or
// the ones it chose and gossips (TokenKind); a node whose tokens are pending is on no ring.
// Pure, any thread (on a table the caller is not changing).
#pragma once

#include <vector>

#include "libkv/membership/membership.h"
#include "libkv/ring/ring.h"

namespace kv {

// The ring reads and the write quorum use: nodes that are normal or leaving, with their tokens
// and zones, sorted by id. Up or down does not matter: a down node keeps its ranges (sloppy quorum
// routes around it, Ring::SloppyPreferenceList). A joining node takes no ranges here until it has
// streamed them and turns normal; a leaving one keeps its ranges until it has streamed them away.
std::vector<RingMember> RingMembersOf(const MembershipTable& table);

// The ring once every join and leave under way has completed (Cassandra's pending ranges): normal
// and joining nodes, no leaving ones. Equal to RingMembersOf when nothing is changing.
std::vector<RingMember> FutureRingMembersOf(const MembershipTable& table);

}  // namespace kv
