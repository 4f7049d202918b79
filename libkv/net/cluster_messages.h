// The node-to-node protocols that keep the cluster together (docs/formats.md, "Message types"
// 13-16 and 19-24): gossip, and anti-entropy's Merkle levels, leaf keys and kvrepair's request
// to run it. Plain structs, coded by messages.h's templates (instantiated in cluster_messages.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libkv/net/messages.h"
#include "libkv/net/wire_format.h"

namespace kv {

// Gossip (docs/formats.md, "Gossip"): each carries the hand-coded encoding of
// libkv/membership/gossip_messages.h. A SYN is answered by an ACK, an ACK2 by a GossipDone.
struct GossipSyn {
  static constexpr wire::MessageType kType = wire::MessageType::kGossipSyn;
  std::string payload;
};
struct GossipAck {
  static constexpr wire::MessageType kType = wire::MessageType::kGossipAck;
  std::string payload;
};
struct GossipAck2 {
  static constexpr wire::MessageType kType = wire::MessageType::kGossipAck2;
  std::string payload;
};
struct GossipDone {
  static constexpr wire::MessageType kType = wire::MessageType::kGossipDone;
};

// Anti-entropy between two replicas of a token range (start, end]: the hashes of some nodes of
// one level of the responder's Merkle tree over the keys of the range that `peer` (the asker)
// replicates too. `payload` is a MerkleLevelHashes (docs/formats.md, "Merkle tree").
struct MerkleLevelRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kMerkleLevelRequest;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  uint32_t depth = 0;
  uint32_t level = 0;
  std::vector<uint32_t> indices;
  std::string peer;
};
struct MerkleLevelResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kMerkleLevelResponse;
  std::string payload;
};

// The keys (with the digests of their sibling sets) of some leaves of that tree, in one slice of
// the key order: those after `after` ("": from the first key) up to and including `until` ("":
// to the last), as many as fit in about `max_bytes` of memory (the asker's room; the responder
// may answer fewer). The engine orders keys by key, not by token, so a slice is what one bounded
// stretch of a scan gathers for every asked leaf at once. Version 2 (version 1 had no slice:
// every key of the leaves in one answer, which a wiped replica's repair made unbounded).
struct LeafKeysRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kLeafKeysRequest;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  uint32_t depth = 0;
  std::vector<uint32_t> leaves;
  std::string peer;
  std::string after;
  std::string until;
  uint64_t max_bytes = 0;
};
struct LeafKey {
  std::string key;
  uint64_t digest = 0;
  friend bool operator==(const LeafKey&, const LeafKey&) = default;
};
// Every key of the asked leaves in (after, until] when `more` is false; when it is true the
// answer stopped early and covers (after, last] only (`last` its last key), and the asker asks
// again after it.
struct LeafKeysResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kLeafKeysResponse;
  std::vector<LeafKey> keys;  // ascending by key
  bool more = false;
  std::string last;
};

// kvrepair: run anti-entropy now on the asked node, for one of the token ranges it replicates,
// with every other replica of it. With `list_ranges`, only list those ranges (nothing runs).
struct RepairRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kRepairRequest;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  bool list_ranges = false;
};
struct RepairRange {
  uint64_t start = 0;
  uint64_t end = 0;
  friend bool operator==(const RepairRange&, const RepairRange&) = default;
};
struct RepairResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kRepairResponse;
  std::vector<RepairRange> ranges;  // with list_ranges: the ranges the node replicates
  uint64_t keys_compared = 0;       // keys in the leaves that differed, both sides
  uint64_t keys_differing = 0;      // keys whose sibling sets differed, once per peer
  uint64_t keys_transferred = 0;    // sibling sets sent either way (fetched, written back)
  uint64_t keys_repaired = 0;       // keys whose sibling set changed on either side
  uint64_t bytes_exchanged = 0;     // message bodies sent and received by the session
  uint32_t replicas = 0;            // other replicas of the range
  uint32_t replicas_unreachable = 0;
  std::string problems;  // why replicas could not be repaired; empty when all converged
};

}  // namespace kv
