// Ring: the consistent-hash ring of a cluster — each node's virtual-node tokens — and the
// questions asked of it: which nodes replicate a key (the preference list, with fallbacks for
// down nodes), how much of the key space each node holds, which ranges it replicates.
// Immutable once built: a membership change builds a new Ring. Const methods, any thread.
//
// A key belongs to the first token at or after its own, walking clockwise (wrapping), so a token
// owns the range (previous token, token]. Its preference list is the first N distinct nodes met
// from there. A ring of fewer than N nodes puts every key on all of them.
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
};

class Ring {
 public:
  // Members with duplicate ids are merged. Two nodes on the same token: the smaller id comes
  // first, and the other's range is empty.
  explicit Ring(std::vector<RingMember> members);
  // Every node with VnodeTokens(id, vnodes).
  static Ring WithVnodes(const std::vector<std::string>& node_ids, int vnodes);

  // Node ids, sorted.
  const std::vector<std::string>& nodes() const { return nodes_; }
  size_t token_count() const { return points_.size(); }
  // Every point's token, ascending (a token twice where two nodes share it). Between two
  // consecutive tokens every preference list is the same.
  std::vector<Token> Tokens() const;

  // The first min(n, nodes) distinct nodes clockwise from the key's token, in that order.
  std::vector<std::string> PreferenceList(std::string_view key, size_t n) const;
  std::vector<std::string> PreferenceListForToken(Token token, size_t n) const;

  // Sloppy quorum (Dynamo): the first n healthy nodes clockwise. The healthy nodes of the
  // preference list come first, in ring order, then one fallback per down node of it — the next
  // healthy nodes beyond the list, in ring order, standing in for the down ones in ring order.
  // Fewer than n when fewer nodes are up.
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
  };
  // Distinct nodes walking clockwise from point index `start`, at most `n`.
  std::vector<uint32_t> WalkFrom(size_t start, size_t n) const;
  size_t FirstPointAtOrAfter(Token token) const;
  // The range owned by point i: (previous point's token, its token]; nullopt when empty.
  std::optional<TokenRange> RangeOfPoint(size_t i) const;

  std::vector<std::string> nodes_;
  std::vector<Point> points_;  // sorted by (token, node id)
};

}  // namespace kv
