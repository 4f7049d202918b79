// Ring: the consistent-hash ring of a cluster — each node's virtual-node tokens — and the
// questions asked of it: which nodes replicate a key (the preference list, with fallbacks for
// down nodes), how much of the key space each node holds, which ranges it replicates.
// Immutable once built: a membership change builds a new Ring. Const methods, any thread.
//
// A key belongs to the first token at or after its own, walking clockwise (wrapping), so a token
// owns the range (previous token, token]. Its preference list is N distinct nodes met walking from
// there, spread over zones (failure domains: racks, data centers):
// - Each zone has a target, the copies of a key it holds on average: N shared in proportion to
//   its nodes, but at least one per zone while there are no more zones than N (losing a zone
//   loses no key), at most one while there are at least N (N distinct zones), and never more
//   than its nodes. So 3+2 nodes with N=3 hold 1.8 and 1.2 copies a key, and every node its fair
//   share; 2+2+1 must hold 1, 1, 1, and the lone node holds a copy of every key.
// - Each range (the keys of one token) draws its zone counts from the targets: every zone gets
//   its target rounded down or up, the counts sum to N, and over the ranges every zone's mean is
//   its target (ZoneCounts). With even zones every count is exact, and the list is Cassandra's
//   NetworkTopologyStrategy's: the first node of each zone met.
// - The list is then the first nodes met of each zone, as many as its count, in walk order. So
//   within a zone a key's copies are the first nodes of that zone clockwise: the zone is a ring
//   of its own, and its nodes share its copies as its tokens say.
// A ring whose nodes all share one zone (or state none) walks plain ring order. A ring of fewer
// than N nodes puts every key on all of them. Every question below (replicas, fallbacks,
// ownership, ranges) walks the same way (WalkFrom), so every user of the ring places a key alike.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/ring/token.h"

namespace kv {

struct RingMember {
  std::string id;  // the node's name (its --id), not its clock id
  std::vector<Token> tokens;
  std::string zone =
      {};  // its failure domain (kvnode --zone); empty: none stated, a zone of its own
};

// One replica of a key under a sloppy quorum: the node, and when it is a fallback standing in
// for a down node of the preference list, that node (its write carries a hint naming it).
struct ReplicaTarget {
  std::string node;
  std::optional<std::string> hinted_for;

  friend bool operator==(const ReplicaTarget&, const ReplicaTarget&) = default;
};

// The fraction of the key space, in [0, 1], for which a node is the first replica, and for
// which it is any of the N replicas. Over all nodes the first sum to 1, the second to
// min(N, nodes).
struct Ownership {
  double primary = 0;
  double replica = 0;

  friend bool operator==(const Ownership&, const Ownership&) = default;
};

class Ring {
 public:
  // Members with duplicate ids are merged. Two nodes on the same token: the smaller id comes
  // first, and the other's range is empty.
  explicit Ring(std::vector<RingMember> members);
  // Every node with VnodeTokens(id, vnodes); with `zones`, node i in zones[i].
  static Ring WithVnodes(const std::vector<std::string>& node_ids, int vnodes,
                         const std::vector<std::string>& zones = {});

  // Node ids, sorted.
  const std::vector<std::string>& nodes() const { return nodes_; }
  // The distinct zones of the nodes, sorted (one empty zone when none is stated).
  const std::vector<std::string>& zones() const { return zones_; }
  // The node's zone; empty for none stated or a node not on the ring.
  std::string_view ZoneOf(std::string_view node) const;
  // Whether the two rings place every key alike: the same nodes, tokens and zones.
  bool PlacesLike(const Ring& other) const;
  size_t token_count() const { return points_.size(); }
  // Every point's token, ascending (a token twice where two nodes share it). Between two
  // consecutive tokens every preference list is the same.
  std::vector<Token> Tokens() const;

  // The key's min(n, nodes) replicas (the header comment), in walk order from its token.
  std::vector<std::string> PreferenceList(std::string_view key, size_t n) const;
  std::vector<std::string> PreferenceListForToken(Token token, size_t n) const;

  // Sloppy quorum (Dynamo): n healthy nodes. The healthy nodes of the preference list come
  // first, in its order, then one fallback per down node of it, taken from the healthy nodes
  // beyond the list in ring order: each down node (in list order) gets the first one in its own
  // zone, so a stand-in keeps the spread; those with none there the first ones left. Without
  // zones: the first n healthy nodes clockwise. Fewer than n when fewer nodes are up.
  std::vector<ReplicaTarget> SloppyPreferenceList(
      std::string_view key, size_t n, const std::function<bool(std::string_view)>& is_up) const;

  // Every node's Ownership for replication factor n.
  std::map<std::string, Ownership> OwnershipShares(size_t n) const;

  // The token ranges whose keys `node` replicates for factor n, adjacent ones joined, in token
  // order. Empty for a node not on the ring.
  std::vector<TokenRange> RangesReplicatedBy(std::string_view node, size_t n) const;

  // How many of a range's n copies each zone holds, on average (the header comment's targets):
  // zone z's target is numerators[z] / denominator (exact: integers), and the targets sum to
  // `copies`, min(n, nodes holding tokens). The token allocator balances each zone for them.
  struct ZoneTargets {
    std::vector<uint64_t> numerators;  // per zone, in the order of nodes_in_zone
    uint64_t denominator = 1;
    uint64_t copies = 0;
  };
  // The targets for zones holding nodes_in_zone[z] nodes with tokens each.
  static ZoneTargets ComputeTargets(size_t n, const std::vector<uint64_t>& nodes_in_zone);

 private:
  struct Point {
    Token token;
    uint32_t node;  // index into nodes_

    friend bool operator==(const Point&, const Point&) = default;
  };
  const ZoneTargets& Targets(size_t n) const;  // from targets_by_copies_
  // The copies each zone holds in the range whose point has token `range_token`: each target
  // rounded down or up, summing to the copies; the same for every key of the range.
  static std::vector<uint64_t> ZoneCounts(const ZoneTargets& targets, Token range_token);
  // The n replicas of the range of point `start` (the header comment), in walk order; then, up to
  // `total` nodes in all, the other nodes in ring order from there (the fallbacks).
  std::vector<uint32_t> WalkFrom(size_t start, size_t n, size_t total) const;
  size_t FirstPointAtOrAfter(Token token) const;
  // The range owned by point i: (previous point's token, its token]; nullopt when empty.
  std::optional<TokenRange> RangeOfPoint(size_t i) const;

  std::vector<std::string> nodes_;
  std::vector<Point> points_;  // sorted by (token, node id)
  std::vector<std::string> zones_;
  std::vector<uint32_t> zone_of_;  // per node: index into zones_
  // With zones: ComputeTargets(n) for n = 0 .. the nodes that hold tokens.
  std::vector<ZoneTargets> targets_by_copies_;
};

}  // namespace kv
