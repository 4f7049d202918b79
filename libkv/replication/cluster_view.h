// ClusterView: what a coordinator needs to know of the cluster at one moment — this node's id,
// the ring, the ring it is becoming while nodes join or leave, and every node's address. The
// node's gossip publishes a new immutable view whenever membership changes; a request takes the
// current one and uses it throughout, so a request never sees half of a change. Any thread.
//
// Two rings, as Cassandra's pending ranges: `ring` (normal and leaving nodes) answers reads and
// counts the write quorum; `future` (normal and joining nodes) is the ring once the changes under
// way complete. A key's *pending* replicas are in its future preference list but not its current
// one: they are sent every write (and must acknowledge it, on top of W) so that they already hold
// what they will serve, and anti-entropy and range streaming treat them as replicas.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/ring/ring.h"

namespace kv {

struct ClusterView {
  std::string self;  // this node's id
  std::shared_ptr<const Ring> ring;
  // The same object as `ring` when no node is joining or leaving.
  std::shared_ptr<const Ring> future;
  std::map<std::string, std::string, std::less<>> addresses;  // node id -> host:port

  // The address of a ring member; empty when unknown.
  std::string_view AddressOf(std::string_view id) const {
    auto it = addresses.find(id);
    return it == addresses.end() ? std::string_view() : std::string_view(it->second);
  }

  bool changing() const { return future != nullptr && future != ring; }

  // The key's pending replicas, in future ring order; empty when nothing is changing.
  std::vector<std::string> PendingReplicas(std::string_view key, size_t n) const {
    if (!changing()) return {};
    return Pending(ring->PreferenceList(key, n), future->PreferenceList(key, n));
  }

  // Every node a write of the key goes to: its replicas, then its pending replicas. Anti-entropy
  // keeps a key in step between any two nodes of this set.
  std::vector<std::string> WriteSetForToken(Token token, size_t n) const {
    std::vector<std::string> nodes = ring->PreferenceListForToken(token, n);
    if (!changing()) return nodes;
    for (std::string& p : Pending(nodes, future->PreferenceListForToken(token, n)))
      nodes.push_back(std::move(p));
    return nodes;
  }

 private:
  static std::vector<std::string> Pending(const std::vector<std::string>& current,
                                          std::vector<std::string> future) {
    std::erase_if(future, [&](const std::string& id) {
      return std::find(current.begin(), current.end(), id) != current.end();
    });
    return future;
  }
};

// The replication settings every node of a cluster shares (kvnode --replicas, --read-quorum,
// --write-quorum). W + R > N makes every read quorum meet every write quorum.
struct QuorumSettings {
  uint32_t n = 3;
  uint32_t r = 2;
  uint32_t w = 2;
};

}  // namespace kv
