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
#include "libkv/net/tls.h"
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
  // A frame begun (some of its bytes read) whose bytes have not all arrived after this much
  // waiting for them is cut off: the connection is closed and what its frame held of the budget
  // freed (a slowloris). Time the node spends not reading (its own limits, the budget) does not
  // count. 10 s: a 16 MiB value then needs 1.7 MB/s; raise it for slower links. 0: no deadline.
  std::chrono::milliseconds body_timeout{10000};
  // A connection with nothing in flight (no request read and unanswered, no answer unwritten, no
  // part of a frame) this long is closed, with an Error (unavailable, request id 0) telling the
  // client that the node read nothing it has not answered, so clients resend on a new connection
  // without a fault (docs/architecture.md, "Connections"). 0: never.
  std::chrono::milliseconds idle_timeout{120000};
};

struct NodeConfig {
  std::string listen = "127.0.0.1:7000";  // HOST:PORT; port 0 binds any free port
  // The HOST:PORT other nodes reach this one at, which it gossips (and takes as its id when new);
  // empty: the address `listen` bound. Port 0: the port `listen` bound. Required when `listen`
  // binds every interface (0.0.0.0 or ::), which names no address a peer could use.
  std::string advertise;
  // HOST:PORT of the HTTP API (libkv/node/http_api.h, man kv-http(7)); empty: none. Off unless
  // asked for: a second listener is a second way in, and a fixed default port would collide for
  // the several nodes of a local cluster. Port 0 binds any free port. With TLS it is HTTPS and
  // asks for a client certificate; off the loopback it needs TLS or `insecure`, as `listen` does.
  std::string http_listen;
  std::string data_dir = "kvdata";
  std::string cluster_name = "kv";  // clients must name the same cluster in their handshake

  // TLS (docs/architecture.md, "Security"): the node's certificate (role peer, CN its id), key
  // and the cluster's CA. Given, every connection, from clients and peers, is mutual TLS and
  // the certificate's role decides what it may ask; the node's id is its certificate's CN.
  TlsOptions tls;
  // Serve plain TCP on an address other machines can reach. Without it, a `listen` address
  // outside the loopback (127.0.0.0/8, ::1, localhost) with no TLS is refused: anyone reaching
  // the port could read, write and delete every key and stop the node.
  bool insecure = false;

  // The cluster. `id` names the node in the ring; empty: the one its data dir remembers, or for
  // a new data dir the address it advertises.
  std::string id;
  std::vector<std::string> seeds;  // host:port of nodes to join through; none: a ring of one
  // The failure domain the node is in (a rack, a zone, a data center): a key's replicas are
  // spread over as many zones as there are (libkv/ring/ring.h). Empty: none stated. Fixed for
  // the life of the data directory (a node holding data refuses to start in another zone).
  std::string zone;
  // Virtual nodes. 128: the busiest of 3 to 10 nodes then holds 5-9% over its fair share
  // (docs/architecture.md, "ring"; 64 gave 12-18%).
  int vnodes = 128;
  // How a node joining a running cluster (with --seeds, on a new data dir) gets its tokens:
  // balanced, chosen once against the ring it learns from its seeds (libkv/ring/token_allocator.h);
  // hashed, VnodeTokens(id, vnodes). A node that starts a cluster, or has tokens already, keeps
  // what it has (docs/architecture.md, "Token allocation").
  enum class TokenAllocation { kHashed, kBalanced };
  TokenAllocation token_allocation = TokenAllocation::kBalanced;
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

  int io_threads = 0;  // I/O threads, each running its own io_context (shard); 0: one per core
  // Threads for blocking engine work off the I/O threads: scans (Merkle trees, cleanup) and the
  // hint store. Client and replica writes do not use them: they are submitted to the engine's
  // commit queue and complete on the I/O threads.
  int engine_threads = 8;
  size_t max_connections = 1024;
  // Connections from one remote IP address, loopback included. 256: a local cluster's nodes
  // (one pooled connection to each peer) and kvbench with its many clients fit many times over,
  // while four addresses are needed to take every connection slot. 0: no limit.
  size_t max_connections_per_address = 256;
  ConnectionLimits connection;
  // Graceful stop: how long in-flight requests get before connections are cut.
  std::chrono::milliseconds stop_timeout{5000};
};

// InvalidArgument naming the field and the accepted range; also a non-loopback `listen` without
// TLS or `insecure`, and TLS files given only in part.
Status ValidateNodeConfig(const NodeConfig& config);

// Whether `host` (an address or a name) is this machine's loopback: 127.0.0.0/8, ::1 or
// "localhost". Anything else, a name included, may be reachable from other machines.
bool IsLoopbackHost(std::string_view host);

// The engine's options for this node's data directory.
EngineOptions EngineOptionsFor(const NodeConfig& config, Env* env);

// The node's tombstone GC, its repair records in DATA/REPAIRS.
std::shared_ptr<TombstoneGc> OpenTombstoneGc(const NodeConfig& config, Env* env,
                                             std::shared_ptr<spdlog::logger> logger);

}  // namespace kv
