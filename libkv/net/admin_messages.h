// The operators' protocol (docs/formats.md, "Message types" 17, 18 and 25-36): kvring's ring,
// leave, stats, cleanup, remove and metrics requests, kvrepair --status's, and their answers.
// Plain structs, coded by messages.h's templates (instantiated in admin_messages.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libkv/net/messages.h"
#include "libkv/net/wire_format.h"

namespace kv {

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
  // Its load, as its last heartbeat the asked node heard said (NodeLoad, libkv/membership):
  // bytes of its tables on disk and an estimate of its keys. Not stated: unknown (kvring's "?").
  bool load_stated = false;
  uint64_t disk_bytes = 0;
  uint64_t keys = 0;
  std::string zone = {};  // kvnode --zone; empty: none stated (RingResponse version 3)

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
  // The Merkle tree cache's share of the memory budget, and the trees it holds now (AntiEntropy).
  uint64_t merkle_cache_share = 0;
  uint64_t merkle_cache_bytes = 0;

  friend bool operator==(const StatsResponse&, const StatsResponse&) = default;
};

// kvring cleanup: the asked node removes the keys it no longer replicates (Cassandra's `nodetool
// cleanup`): after a node joined, the nodes whose ranges it took still hold their old copies,
// which cost disk and, were a range to come back to them after its tombstones were purged, would
// bring deleted keys back. The node rewrites its tables without those keys (no tombstones), and
// the disk is given back when it ends. Refused while nodes join or leave. It runs on the node in
// the background; with `status_only` the request only asks how the last one went (nothing starts).
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
  std::string error;           // why it failed; a cleanup that failed removed nothing
  // The tables' bytes before and after the rewrite, once done (0 before): before - after is the
  // disk given back, after the bytes written.
  uint64_t table_bytes_before = 0;
  uint64_t table_bytes_after = 0;

  friend bool operator==(const CleanupResponse&, const CleanupResponse&) = default;
};

// kvring remove: the asked node takes `node`, a node that is down for good, out of the ring
// (Cassandra's nodetool removenode): it gossips that node as left on its behalf. Refused
// (InvalidArgument) for a node that is up, unknown, already left or the asked node itself, and,
// unless `force`, when fewer than N normal nodes would remain up or another node of the ring is
// down; Unavailable while the asked node is not normal. The answer names the nodes that replicate
// part of the removed node's ranges now and did not before: each must fetch those ranges from the
// remaining replicas (a whole-ring repair on it: kvring remove asks each, once it has heard).
struct RemoveRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kRemoveRequest;
  std::string node;  // the id of the node to remove
  bool force = false;
};
struct RemoveResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kRemoveResponse;
  std::vector<std::string> streams_to;  // node ids, sorted
};

// kvring metrics: the asked node's metrics in Prometheus's text exposition format 0.0.4, as its
// HTTP API's GET /metrics serves them (NodeService::MetricsText; docs/metrics.md lists them).
struct MetricsRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kMetricsRequest;
};
struct MetricsResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kMetricsResponse;
  std::string text;

  friend bool operator==(const MetricsResponse&, const MetricsResponse&) = default;
};

// kvrepair --status (Riak's aae-status): for each token range the asked node replicates, when its
// last complete repair began and whether its TombstoneGc lets compaction purge tombstones there
// (libkv/replication/tombstone_gc.h). Nothing runs.
struct RepairStatusRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kRepairStatusRequest;
};
struct RangeRepairStatus {
  uint64_t start = 0;  // the range (start, end]
  uint64_t end = 0;
  // When the oldest complete repair covering it began (the node's wall clock, microseconds since
  // the Unix epoch); 0: never completely repaired.
  uint64_t last_complete_repair_micros = 0;
  // Whether tombstones may be purged there now, and which: those whose key's newest tombstone was
  // written at or before purge_written_by_micros.
  bool purge_allowed = false;
  uint64_t purge_written_by_micros = 0;

  friend bool operator==(const RangeRepairStatus&, const RangeRepairStatus&) = default;
};
struct RepairStatusResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kRepairStatusResponse;
  std::string id;                         // the asked node's id
  uint64_t now_micros = 0;                // its wall clock when it answered, for the ages
  uint64_t grace_seconds = 0;             // its tombstone grace (kvnode --tombstone-grace-s)
  std::vector<RangeRepairStatus> ranges;  // in token order

  friend bool operator==(const RepairStatusResponse&, const RepairStatusResponse&) = default;
};

}  // namespace kv
