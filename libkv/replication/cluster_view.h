// ClusterView: what a coordinator needs to know of the cluster at one moment — this node's id,
// the ring, every ring member's address, and which nodes look up. The node's gossip publishes a
// new immutable view whenever membership changes; a request takes the current one and uses it
// throughout, so a request never sees half of a change. Any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "libkv/ring/ring.h"

namespace kv {

struct ClusterView {
  std::string self;  // this node's id
  std::shared_ptr<const Ring> ring;
  std::map<std::string, std::string, std::less<>> addresses;  // node id -> host:port

  // The address of a ring member; empty when unknown.
  std::string_view AddressOf(std::string_view id) const {
    auto it = addresses.find(id);
    return it == addresses.end() ? std::string_view() : std::string_view(it->second);
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
