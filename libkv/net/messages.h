// The message bodies of the wire protocol (docs/formats.md, "Wire protocol", "Messages"), coded
// with Cereal's portable binary archive, little-endian. Each message type is a plain struct with
// its frame type; EncodeMessageFrame gives a whole frame, DecodeMessage reads a frame's body.
// Decoding never trusts the bytes: a length is bounded before anything is allocated, and any
// malformed body (short, trailing bytes, unknown class version) is a Protocol error, never a
// crash. This is the one place in libkv where exceptions (Cereal's) are caught.
//
// Every message carries a Cereal class version: 1 for the messages protocol 1 had unchanged, 2
// for those protocol 2 changed (see docs/formats.md, "Evolving the protocol").
// Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/net/wire_format.h"

namespace kv {

// Server -> client after an accepted handshake.
struct HandshakeOk {
  static constexpr wire::MessageType kType = wire::MessageType::kHandshakeOk;
  uint32_t protocol_version = wire::kProtocolVersion;
  std::string server;  // "kvnode 0.1.0", for logs and error messages
};

// Answers a request (its request id) or, with request id 0, the connection (a refused
// handshake, a frame over the limit) just before the server closes it.
struct ErrorResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kError;
  ErrorCode code = ErrorCode::kProtocol;  // never kOk
  std::string message;
};

// Client requests. A quorum of 0 means the node's default (kvnode --read-quorum,
// --write-quorum); anything else must be 1..N.
struct GetRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kGetRequest;
  std::string key;
  uint32_t r = 0;
};

// Every version of the key the replicas that answered hold, merged: `siblings` is a SiblingSet
// (docs/formats.md, "Sibling set"), empty when no replica has the key; `context` is its merged
// clock as a context token, which a later put or delete passes back. `found` is false when there
// is nothing or only tombstones; the context then still covers the tombstones.
struct GetResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kGetResponse;
  bool found = false;
  std::string siblings;
  std::string context;
};

// A write the node coordinates. `context` is a token from a get (empty: a blind write, which
// becomes a sibling of whatever is there). `forwarded` is set by a node that is not a replica
// of the key when it hands the write to one that is (only a replica coordinates: it must issue
// the write's dot); a forwarded write is never forwarded again.
struct PutRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kPutRequest;
  std::string key;
  std::string value;
  std::string context;
  uint32_t w = 0;
  bool forwarded = false;
  // Riak's PW: only the key's own replicas may count toward W (no fallback under a sloppy
  // quorum); a write refused rather than parked on a stand-in.
  bool primaries_only = false;
};

struct PutResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kPutResponse;
};

// Writes a tombstone that supersedes what the context saw (as a put would a value).
struct DeleteRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kDeleteRequest;
  std::string key;
  std::string context;
  uint32_t w = 0;
  bool forwarded = false;
  bool primaries_only = false;  // as PutRequest's
};

struct DeleteResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kDeleteResponse;
};

// Node to node: a coordinator asks a replica for its sibling set of a key.
struct ReplicaReadRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaReadRequest;
  std::string key;
};

// `siblings` is the replica's SiblingSet of the key, encoded; empty when it has none.
struct ReplicaReadResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaReadResponse;
  std::string siblings;
};

// Node to node: merge this sibling set into yours (a coordinator's write, read repair, a hint
// handed off). With `hinted_for`, the receiver is a fallback standing in for that node under a
// sloppy quorum: it keeps the set as a durable hint and hands it to that node when it is back.
struct ReplicaWriteRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaWriteRequest;
  std::string key;
  std::string siblings;
  std::string hinted_for{};
};

struct ReplicaWriteResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaWriteResponse;
};

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

// The ring as the asked node sees it, for kvring; with a key, that key's preference list too.
struct RingRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kRingRequest;
  std::string key;  // empty: no key
};

struct RingNodeInfo {
  std::string id;
  std::string address;
  bool up = false;
  std::string state;  // joining, normal, leaving, left (NodeStatusName)
  uint32_t vnodes = 0;
  double ownership = 0;          // share of the key space this node replicates, in [0, 1]
  double primary_ownership = 0;  // share for which it is the first replica
  // Seconds since the asked node last heard this one's heartbeat; negative: never (or itself).
  double seconds_since_heard = -1;
  uint64_t generation = 0;
  std::string clock_id;        // 16 hex digits
  uint64_t hints_pending = 0;  // hints the asked node holds for this node

  friend bool operator==(const RingNodeInfo&, const RingNodeInfo&) = default;
};

struct RingResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kRingResponse;
  std::string self;       // the asked node's id
  uint32_t replicas = 0;  // N
  uint32_t read_quorum = 0;
  uint32_t write_quorum = 0;
  std::vector<RingNodeInfo> nodes;           // sorted by id
  std::string key;                           // as asked; empty when none
  std::vector<std::string> preference_list;  // the key's replicas, in ring order
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

// The keys (with the digests of their sibling sets) of some leaves of that tree.
struct LeafKeysRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kLeafKeysRequest;
  uint64_t range_start = 0;
  uint64_t range_end = 0;
  uint32_t depth = 0;
  std::vector<uint32_t> leaves;
  std::string peer;
};
struct LeafKey {
  std::string key;
  uint64_t digest = 0;
  friend bool operator==(const LeafKey&, const LeafKey&) = default;
};
struct LeafKeysResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kLeafKeysResponse;
  std::vector<LeafKey> keys;  // ascending by key
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

// kvring leave: the asked node leaves the cluster — it turns leaving, streams its ranges to their
// new owners, turns left and exits. With `status_only` it only says how its leave goes (nothing
// starts). Asking again while it leaves starts nothing new.
struct LeaveRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kLeaveRequest;
  bool status_only = false;
};
struct LeaveResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kLeaveResponse;
  std::string state;  // the node's status: normal (not leaving, or its leave failed), leaving, left
  std::string phase;  // what the leave is doing now, for a progress line; empty when none
  uint64_t keys_streamed = 0;   // keys whose sibling set changed on either side, so far
  uint64_t bytes_streamed = 0;  // message bodies sent and received, so far
  double seconds = 0;           // since the leave began
  std::string error;            // why the leave failed (the node is then normal again)
};

// kvring stats: the asked node's live figures, for operators (Cassandra's `nodetool info`). Each
// is the node's own, counted since its process started unless it says "now".
struct StatsRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kStatsRequest;
};
struct StatsResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kStatsResponse;
  std::string id;             // the node's id
  double uptime_seconds = 0;  // since its service was created
  // The memory budget and its split (libkv/node/memory_budget.h); block_cache_capacity below is
  // the cache's actual size (--cache-size overrides the share).
  uint64_t memory_budget = 0;
  uint64_t memtable_share = 0;
  uint64_t connection_share = 0;
  std::string compression;  // new tables' block codec
  // The engine's EngineStats (libkv/storage/engine.h), same meanings.
  uint64_t memtable_memory = 0;  // now
  uint64_t memtable_memory_peak = 0;
  uint64_t immutable_memtables = 0;  // now
  uint64_t tables = 0;               // now
  uint64_t table_bytes = 0;          // now
  uint64_t table_index_memory = 0;   // now
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t log_syncs = 0;
  uint64_t log_records = 0;
  uint64_t bloom_skips = 0;
  uint64_t bloom_false_positives = 0;
  uint64_t block_cache_capacity = 0;
  uint64_t block_cache_bytes = 0;   // data blocks, now
  uint64_t block_cache_pinned = 0;  // tables' indexes and filters, now
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  uint64_t write_delays = 0;
  uint64_t write_delay_micros = 0;
  uint64_t write_stalls = 0;
  uint64_t write_stall_micros = 0;
  // The cluster layer's.
  uint64_t tombstones_purged = 0;  // deleted keys compaction dropped for good (TombstoneGc)
  uint64_t hints_held = 0;         // now, for all down nodes (HintStore)
  uint64_t hint_bytes = 0;         // now
  uint64_t connection_waits = 0;   // times connections stopped reading: the budget was spent
  // The node's process's CPU time since it started (getrusage RUSAGE_SELF), every thread's: what
  // the figures above cost. Nodes of a simulated cluster share one process, and so one figure.
  uint64_t cpu_user_micros = 0;
  uint64_t cpu_system_micros = 0;

  friend bool operator==(const StatsResponse&, const StatsResponse&) = default;
};

// kvring cleanup: the asked node removes the keys it no longer replicates (Cassandra's `nodetool
// cleanup`): after a node joined, the nodes whose ranges it took still hold their old copies,
// which cost disk and, were a range to come back to them after its tombstones were purged, would
// bring deleted keys back. Refused while nodes join or leave. It runs on the node in the
// background; with `status_only` the request only asks how the last one went (nothing starts).
// Asking again while one runs starts nothing new.
struct CleanupRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kCleanupRequest;
  bool status_only = false;
};
struct CleanupResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kCleanupResponse;
  std::string state;           // "none" (never ran), "running", "done" or "failed"
  uint64_t keys_scanned = 0;   // so far
  uint64_t keys_removed = 0;   // so far: keys this node is no longer a replica of
  uint64_t bytes_removed = 0;  // their keys' and values' bytes
  double seconds = 0;          // since it began
  std::string error;           // why it failed; what it removed before stays removed

  friend bool operator==(const CleanupResponse&, const CleanupResponse&) = default;
};

// The body alone. Defined for the message structs above.
template <class M>
std::string EncodeMessage(const M& message);
// A whole frame: header, then the body, built in one buffer (a 16 MiB value is copied once).
template <class M>
std::string EncodeMessageFrame(const M& message, uint64_t request_id);
// Protocol error naming the message type on any malformed body.
template <class M>
Result<M> DecodeMessage(std::string_view body);

// An ErrorResponse as a Status, and back. Unknown wire codes become kProtocol.
Status ErrorResponseToStatus(const ErrorResponse& error);
ErrorResponse StatusToErrorResponse(const Status& status);
wire::WireErrorCode ToWireErrorCode(ErrorCode code);
ErrorCode FromWireErrorCode(uint8_t code);

}  // namespace kv
