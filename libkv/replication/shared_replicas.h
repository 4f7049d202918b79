// SharedReplicas: for one ClusterView, which of a list of nodes share a token's write set
// (replicas and pending replicas) with this node, looked up by token in O(log points) instead of
// building a preference list per key. Between two consecutive points of the two rings every write
// set is the same (Ring::Tokens), so the answer is worked out once per ring segment. What a scan
// of the engine asks of each key: anti-entropy's trees (the keys both sides should hold) and
// cleanup (the keys this node still replicates: list this node itself). Immutable once built:
// any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libkv/replication/cluster_view.h"

namespace kv {

class SharedReplicas {
 public:
  SharedReplicas(const ClusterView& view, size_t n, const std::vector<std::string>& nodes);

  // The indices into `nodes` of those in the token's write set, when this node is in it too;
  // empty otherwise.
  const std::vector<uint32_t>& Of(Token token) const;

 private:
  // Segment i holds the tokens in (ends_[i-1], ends_[i]]; segment 0 also those past the last
  // end, which wrap around to it.
  std::vector<Token> ends_;                     // every point of both rings, ascending, unique
  std::vector<std::vector<uint32_t>> sharing_;  // per segment
};

}  // namespace kv
