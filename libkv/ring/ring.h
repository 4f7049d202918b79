// Ring: the consistent-hash ring of a cluster — each node's virtual-node tokens — and the
// questions asked of it: which nodes replicate a key (the preference list, with fallbacks for
// down nodes), how much of the key space each node holds, which ranges it replicates.
// Immutable once built: a membership change builds a new Ring. Const methods, any thread.
//
// A key belongs to the first token at or after its own, walking clockwise (wrapping), so a token
// owns the range (previous token, token]. Its preference list is the first N distinct nodes met
// from there, spread over zones (failure domains: racks, data centers) as Cassandra's
// NetworkTopologyStrategy spreads replicas over racks: while fewer than min(N, zones) distinct
// zones are in the list, a node of a zone already in it is passed over; once that many are in,
// the passed-over nodes come next, in ring order, then the walk goes on. A ring whose nodes all
// share one zone (or state none) walks plain ring order. A ring of fewer than N nodes puts every
// key on all of them. Every question below — replicas, fallbacks, ownership, ranges — walks the
// same way (WalkFrom), so every user of the ring places a key alike.
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

  // The first min(n, nodes) distinct nodes clockwise from the key's token, in that order.
  std::vector<std::string> PreferenceList(std::string_view key, size_t n) const;
  std::vector<std::string> PreferenceListForToken(Token token, size_t n) const;

  // Sloppy quorum (Dynamo): n healthy nodes. The healthy nodes of the preference list come
  // first, in its order, then one fallback per down node of it, taken from the healthy nodes
  // beyond the list in walk order: each down node (in list order) gets the first one in its own
  // zone, so a stand-in keeps the spread; those with none there the first ones left. Without
  // zones: the first n healthy nodes clockwise. Fewer than n when fewer nodes are up.
  std::vector<ReplicaTarget> SloppyPreferenceList(
      std::string_view key, size_t n, const std::function<bool(std::string_view)>& is_up) const;

  // Every node's Ownership for replication factor n.
  std::map<std::string, Ownership> OwnershipShares(size_t n) const;

  // The token ranges whose keys `node` replicates for factor n, adjacent ones joined, in token
  // order. Empty for a node not on the ring.
  std::vector<TokenRange> RangesReplicatedBy(std::string_view node, size_t n) const;

 private:
  struct Point {
    Token token;
    uint32_t node;  // index into nodes_

    friend bool operator==(const Point&, const Point&) = default;
  };
  // Distinct nodes walking clockwise from point index `start`, at most `n`, spread over zones
  // (the header comment). The first k of a walk for n are the walk for k.
  std::vector<uint32_t> WalkFrom(size_t start, size_t n) const;
  size_t FirstPointAtOrAfter(Token token) const;
  // The range owned by point i: (previous point's token, its token]; nullopt when empty.
  std::optional<TokenRange> RangeOfPoint(size_t i) const;

  std::vector<std::string> nodes_;
  std::vector<Point> points_;  // sorted by (token, node id)
  std::vector<std::string> zones_;
  std::vector<uint32_t> zone_of_;  // per node: index into zones_
};

}  // namespace kv
