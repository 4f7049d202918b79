// NodeConfig: everything kvnode is told (flags or config file), with the defaults of a node
// started with no flags: 127.0.0.1:7000, data in ./kvdata, cluster "kv", batch sync, a ring of
// itself alone (N=3, R=2, W=2 are capped at the ring's size). A plain value; Validate says what
// is wrong before anything is opened.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/membership/phi_accrual.h"
#include "libkv/node/memory_budget.h"
#include "libkv/replication/cluster_view.h"
#include "libkv/replication/hint_store.h"
#include "libkv/replication/tombstone_gc.h"
#include "libkv/storage/engine.h"

namespace kv {

// Per-connection limits: what one client may cost the node.
struct ConnectionLimits {
  // Requests read but not yet answered; past this the node stops reading from the connection.
  size_t max_requests_in_flight = 256;
  // Bytes of request bodies read but not yet answered (at least one request is always taken).
  size_t max_bytes_in_flight = 64 << 20;
  // A connection that has not completed its handshake by then is closed.
  std::chrono::milliseconds handshake_timeout{10000};
};

struct NodeConfig {
  std::string listen = "127.0.0.1:7000";  // HOST:PORT; port 0 binds any free port
  // The HOST:PORT other nodes reach this one at, which it gossips (and takes as its id when new);
  // empty: the address `listen` bound. Port 0: the port `listen` bound. Required when `listen`
  // binds every interface (0.0.0.0 or ::), which names no address a peer could use.
  std::string advertise;
  std::string data_dir = "kvdata";
  std::string cluster_name = "kv";  // clients must name the same cluster in their handshake

  // The cluster. `id` names the node in the ring; empty: the one its data dir remembers, or for
  // a new data dir the address it advertises.
  std::string id;
  std::vector<std::string> seeds;  // host:port of nodes to join through; none: a ring of one
  // Virtual nodes. 128: the busiest of 3 to 10 nodes then holds 5-9% over its fair share
  // (docs/architecture.md, "ring"; 64 gave 12-18%).
  int vnodes = 128;
  QuorumSettings quorum;                            // N, R, W
  std::chrono::milliseconds request_timeout{2000};  // a coordinator's wait for its quorum
  std::chrono::milliseconds gossip_interval{1000};
  // How long a joining or leaving node waits after announcing it before streaming, so that every
  // coordinator has heard and sends it (or its ranges' new owners) the writes it must not miss
  // (Cassandra's RING_DELAY). 0: five gossip intervals.
  std::chrono::milliseconds ring_delay{0};
  // The failure detector; kvnode sets only its threshold (--phi-threshold), tests its timing too.
  PhiAccrualOptions failure_detector;
  // Sloppy quorum and hinted handoff (Dynamo): a down replica's writes go to a stand-in that
  // keeps them as hints and hands them off when it is back.
  bool hinted_handoff = true;
  // Hints older than this are dropped (and counted): anti-entropy covers them. Cassandra's
  // max_hint_window, 3 hours.
  std::chrono::seconds hint_window{3 * 3600};
  // Quotas of the hints this node keeps for others, in bytes: per target node and in all
  // (HintStore). Past them a hint is refused and the write left to anti-entropy.
  uint64_t hint_quota_per_node = kDefaultHintQuotaPerTarget;
  uint64_t hint_quota = kDefaultHintQuota;
  uint32_t handoff_rate = 2000;                      // hints handed off per second at most
  std::chrono::milliseconds handoff_interval{1000};  // between handoff rounds
  // Background anti-entropy: every node repairs its ranges this often (0: off; kvrepair still
  // works), resting nine times as long as it repaired.
  std::chrono::seconds anti_entropy_interval{3600};
  // Anti-entropy's wait for each answer (a responder may scan a large engine first); kvnode keeps
  // it, tests shorten it to see a peer lost mid-session fail in time.
  std::chrono::milliseconds anti_entropy_timeout{60000};
  // Tombstone GC: a deleted key is purged once a repair that reached every replica began this
  // long after the delete (libkv/replication/tombstone_gc.h). At least the hint window.
  std::chrono::seconds tombstone_grace = TombstoneGcOptions().grace;
  SyncMode sync = SyncMode::kBatch;
  std::chrono::milliseconds sync_period{10};  // for SyncMode::kPeriodic
  // The node's memory budget and how it splits (memory_budget.h, docs/architecture.md,
  // "Memory"): memtables, block cache, table indexes and filters, connection buffers.
  size_t memory_budget = kDefaultMemoryBudget;
  // 0: from the memory budget (8 MiB, the engine's measured default, from 128 MiB up). Set, the
  // memtable share of the budget is split into memtables of this size.
  size_t memtable_bytes = 0;
  // kvnode --cache-size; unset: the block cache's share of the memory budget (0: no cache).
  std::optional<size_t> block_cache_bytes;
  int bloom_bits_per_key = 10;
  BlockCodec compression = TableOptions().compression;  // new tables' data blocks

  int io_threads = 0;  // threads running the io_context; 0: one per core
  // Threads for blocking engine work off the I/O threads: scans (Merkle trees, cleanup) and the
  // hint store. Client and replica writes do not use them: they are submitted to the engine's
  // commit queue and complete on the I/O threads.
  int engine_threads = 8;
  size_t max_connections = 1024;
  ConnectionLimits connection;
  // Graceful stop: how long in-flight requests get before connections are cut.
  std::chrono::milliseconds stop_timeout{5000};
};

// InvalidArgument naming the field and the accepted range.
Status ValidateNodeConfig(const NodeConfig& config);

// The engine's options for this node's data directory.
EngineOptions EngineOptionsFor(const NodeConfig& config, Env* env);

// The node's tombstone GC, its repair records in DATA/REPAIRS.
std::shared_ptr<TombstoneGc> OpenTombstoneGc(const NodeConfig& config, Env* env,
                                             std::shared_ptr<spdlog::logger> logger);

}  // namespace kv
