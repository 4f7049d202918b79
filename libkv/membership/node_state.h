// NodeState: what gossip says about one node — its name, address, generation, heartbeat version,
// status, vnode count and the cluster-wide settings it runs with — and GossipDigest, the (id,
// generation, version) summary exchanged in a SYN. Plain values; pure functions, any thread.
//
// Only the owner of a state changes it, and every change bumps `version` (a heartbeat each
// gossip round, a status change at once). A state is newer than another of the same id when its
// (generation, version) is larger, so a restarted node (higher generation, version from 0)
// replaces everything its previous life said.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/versioning/vector_clock.h"

namespace kv {

// Issue 6 moves nodes through joining and leaving; a node that has left stays in the tables
// (as a tombstone would) so old gossip cannot bring it back.
enum class NodeStatus : uint8_t {
  kJoining = 0,
  kNormal = 1,
  kLeaving = 2,
  kLeft = 3,
};

std::string_view NodeStatusName(NodeStatus status);  // "joining", "normal", ...

// How keys and nodes map to ring tokens: a key's token is XXH64 of the key, a node's vnode
// tokens XXH64("id#i") (libkv/ring/token.h). The only one so far; gossiped so that a build with
// another is refused rather than placing keys elsewhere.
inline constexpr uint8_t kPartitionerXxh64 = 1;

// Where a node's ring tokens come from (gossip format 4). Hashed: VnodeTokens(id, vnodes), as
// every node before format 4. Chosen: the node chose them once, balanced against the ring it
// joined (libkv/ring/token_allocator.h), and they travel in its state. Pending: a joining node
// that will choose once it has learnt the ring from its seeds; it is on no ring until then.
enum class TokenKind : uint8_t {
  kHashed = 0,
  kChosen = 1,
  kPending = 2,
};

// The settings every node of a cluster must share (they decide where keys live and what a quorum
// is), gossiped with each node's state: N, R, W (kvnode --replicas, --read-quorum,
// --write-quorum) and the partitioner; the vnode count travels in NodeState itself. A node whose
// settings differ from this node's is refused (MembershipTable). `replicas` 0: not stated (a
// state of gossip format 1), compared with nothing.
struct ClusterSettings {
  uint32_t replicas = 0;
  uint32_t read_quorum = 0;
  uint32_t write_quorum = 0;
  uint8_t partitioner = 0;

  bool stated() const { return replicas != 0; }
  friend bool operator==(const ClusterSettings&, const ClusterSettings&) = default;
};

// How much data a node holds (kvring's LOAD column, as `nodetool status` shows it): the bytes of
// its tables on disk and an estimate of its keys, as the node last measured them. Gossiped with
// its state (format 3) and refreshed by the owner on its heartbeat; zero when not stated.
struct NodeLoad {
  uint64_t disk_bytes = 0;
  uint64_t keys = 0;

  friend bool operator==(const NodeLoad&, const NodeLoad&) = default;
};

struct NodeState {
  std::string id;       // the node's name (--id); unique in the cluster, 1..255 bytes
  std::string address;  // host:port where its gossip and requests are served
  // Grows on every restart: the node's start time in seconds, and above the one it persisted
  // last (NextGeneration). Never reused, so a restart always supersedes the previous life.
  // At least 1: an ACK asks for an unknown node with the digest (0, 0), and only a newer state
  // answers it.
  uint64_t generation = 0;
  uint64_t version = 0;  // the owner bumps it every gossip round and on every change
  NodeStatus status = NodeStatus::kNormal;
  uint32_t vnodes = 0;   // its ring tokens are VnodeTokens(id, vnodes) (libkv/ring)
  ClockId clock_id = 0;  // its vector-clock identity (libkv/versioning), for kvring to show
  ClusterSettings settings;
  // The failure domain the node is in (kvnode --zone: a rack, a zone, a data center), at most
  // kMaxZoneBytes; empty: none stated (gossip format 3).
  std::string zone;
  NodeLoad load;                              // gossip format 3
  TokenKind token_kind = TokenKind::kHashed;  // gossip format 4; earlier formats: hashed
  std::vector<uint64_t> tokens = {};          // kChosen only: exactly `vnodes` ring tokens

  friend bool operator==(const NodeState&, const NodeState&) = default;
};

struct GossipDigest {
  std::string id;
  uint64_t generation = 0;
  uint64_t version = 0;

  friend bool operator==(const GossipDigest&, const GossipDigest&) = default;
};

GossipDigest DigestOf(const NodeState& state);

// Orders (generation, version) pairs: negative, zero or positive as a is older, the same, newer.
int CompareVersions(uint64_t a_generation, uint64_t a_version, uint64_t b_generation,
                    uint64_t b_version);
inline bool IsNewer(const NodeState& a, const NodeState& b) {
  return CompareVersions(a.generation, a.version, b.generation, b.version) > 0;
}

// The generation for a node starting now: its start time in seconds, but always above the one it
// persisted in its previous life (a clock stepped back must not make the restart look older).
uint64_t NextGeneration(uint64_t now_seconds, std::optional<uint64_t> persisted_generation);

// Empty when the two nodes may share a cluster: both state their settings and agree on them and
// on their vnode count, or either does not state them. Else the first setting that differs, with
// the flag that sets it and both values, each followed by its side's name: with "here" and "on
// node n4", "N (--replicas) is 3 here and 2 on node n4".
std::string SettingsDifference(const NodeState& ours, const NodeState& theirs,
                               std::string_view ours_name, std::string_view theirs_name);

// Ok for a zone name a node may state (kvnode --zone): 1 to kMaxZoneBytes bytes of printable
// ASCII without spaces, so that it prints as it is in kvring's table and logs. Else
// InvalidArgument saying what is allowed.
Status CheckZoneName(std::string_view zone);

// docs/formats.md, "Gossip" (`node_state`, `digest`). Append to `dst` (in the current format
// version); Consume reads one of `format_version` (1 has no settings, 1 and 2 no zone and load,
// 1 to 3 no token kind: hashed)
// from the front of `in` and
// advances it; Corruption on anything malformed, never a crash.
void AppendNodeState(std::string* dst, const NodeState& state);
Result<NodeState> ConsumeNodeState(std::string_view* in, uint8_t format_version);
void AppendDigest(std::string* dst, const GossipDigest& digest);
Result<GossipDigest> ConsumeDigest(std::string_view* in);

}  // namespace kv
