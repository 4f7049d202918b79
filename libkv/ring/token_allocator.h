// TokenAllocator: chooses a joining node's tokens so that every node's share of the key space,
// as first replica and as any replica, is as even as it can be made (Cassandra's
// allocate_tokens_for_local_replication_factor). Pure functions of the ring they are given, any
// thread. Tokens already chosen never move: the allocator only picks the newcomer's.
//
// Placement it balances for: without zones, a key's replicas are the first N distinct nodes
// clockwise (Ring). With zones, a zone's copies of a key are the first c distinct nodes of that
// zone clockwise, where c is the zone's copy count for the range, on average its share of N
// (about N * nodes_in_zone / nodes, at least 1 while zones <= N). So within a zone ownership is
// decided by the zone's own sub-ring, and a node's tokens are chosen against its zone's nodes
// only, with that (fractional) replication factor.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/ring/ring.h"
#include "libkv/ring/token.h"

namespace kv {

// The mean number of copies of a key that each zone holds, for replication factor `replicas`
// over zones with `nodes_in_zone` nodes each: Ring::ComputeTargets's, as fractions. Sums to
// min(replicas, nodes).
std::vector<double> ZoneCopies(size_t replicas, const std::vector<size_t>& nodes_in_zone);

// `vnodes` tokens for node `id` in `zone` joining `ring` (members whose id is `id` are ignored),
// for replication factor `replicas`: each token in turn splits the range whose split most evens
// out the ownership of the nodes it affects, the newcomer's included. When the ring has no node
// of the newcomer's balancing group (an empty ring, the first node of a zone), there is nothing
// to balance against: the hashed VnodeTokens(id, vnodes).
std::vector<Token> AllocateTokens(const std::vector<RingMember>& ring, size_t replicas,
                                  std::string_view id, std::string_view zone, int vnodes);

// Each node's expected ownership under the placement above: without zones Ring's
// OwnershipShares; with zones, `primary` is the share of the key space for which the node is its
// zone's first copy (fair: 1 / nodes in the zone), and `replica` the share for which it holds any
// copy, with the zone's fractional copy count (fair: replicas / nodes, the same in every zone).
// For the balance tests and figures.
std::map<std::string, Ownership> ZoneOwnershipShares(const std::vector<RingMember>& ring,
                                                     size_t replicas);

}  // namespace kv
