// NodeService: everything a node answers, whichever way a request reached it — a TCP connection
// (kvnode) or the simulated network of a test cluster, which runs this same code. It assembles
// the node's cluster parts over one engine: its identity (data dir), the ReplicaStore of sibling
// sets, the Gossiper (membership, ring), the Coordinator, the HintStore of writes it holds for
// down nodes and the HintedHandoff that returns them, and AntiEntropy (kvrepair), and routes each
// request frame to them (Answer, a RequestHandler); a StatsRequest (kvring stats) it answers with
// the node's live figures: its engine's, the memory budget's split, tombstones purged, hints
// held. Answer counts and times every request (RequestMetrics); MetricsText gives those and the
// rest of the node's figures in Prometheus's text format (GET /metrics, kvring metrics). It also
// moves the node through the ring: a node started with
// --seeds and no membership file saying it has joined is *joining* — it waits to reach the
// cluster and a ring delay, streams every key it will replicate from the nodes that hold them
// (AntiEntropy over the whole ring, which compares the keys both sides should hold, pending
// replicas included), then turns *normal*. Asked to leave (LeaveRequest, kvring leave), a normal
// node turns *leaving*, waits the ring delay, streams its keys to their new owners twice, turns
// *left* and, after a few gossip rounds so the cluster hears it, calls `on_left` (kvnode exits).
// Asked to clean up (CleanupRequest, kvring cleanup), it removes the keys it no longer replicates
// in the background (libkv/replication/cleanup.h): the engine rewrites its tables without them,
// waited for on the engine pool.
//
// Life: Create -> Start (gossip, handoff and a join begin) -> serving -> Stop (they end). The
// engine, transport, engine pool and logger are the caller's and outlive the service; so must the
// io_context that runs its coroutines stop before the service is destroyed. Threads: Answer runs on
// the request's strand, any number at once; the rest from any thread.
//
// Defined in four files by job: node_service.cc (life and request dispatch), node_join_leave.cc
// (joining and leaving), node_stats.cc (stats, repair status and cleanup), node_metrics.cc
// (MetricsText).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "libkv/async/stop_signal.h"
#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/frame.h"
#include "libkv/net/replica_messages.h"
#include "libkv/net/transport.h"
#include "libkv/node/gossiper.h"
#include "libkv/node/node_config.h"
#include "libkv/node/node_identity.h"
#include "libkv/node/request_metrics.h"
#include "libkv/replication/anti_entropy.h"
#include "libkv/replication/cleanup.h"
#include "libkv/replication/coordinator.h"
#include "libkv/replication/hint_store.h"
#include "libkv/replication/hinted_handoff.h"
#include "libkv/replication/replica_store.h"
#include "libkv/replication/tombstone_gc.h"
#include "libkv/storage/engine.h"

namespace spdlog {
class logger;
}

namespace kv {

class NodeService {
 public:
  struct Parts {
    Engine* engine = nullptr;
    Transport* transport = nullptr;
    Env* env = nullptr;
    boost::asio::thread_pool* engine_pool = nullptr;
    std::shared_ptr<spdlog::logger> logger;
    // Told of complete repairs; the engine's compaction asks it what to purge. Null: nothing is.
    std::shared_ptr<TombstoneGc> tombstone_gc;
    // Called once, on the service's executor, when this node has left the cluster; may be empty.
    std::function<void()> on_left{};
    // How often connections stopped reading because the memory budget's connection share was
    // spent (kvring stats); may be empty (none counted).
    std::function<uint64_t()> connection_waits{};
    // The connections open now (kv_connections); may be empty (none counted). Any thread.
    std::function<uint64_t()> connections_open{};
  };

  // Loads or creates the identity in config.data_dir (InvalidArgument when it names another
  // node), and what the membership file remembers; Unavailable when that says this node has left
  // the cluster (its data directory must be wiped to join again). `address` is where peers and
  // clients reach this node (the bound listen address).
  static Result<std::unique_ptr<NodeService>> Create(const NodeConfig& config,
                                                     const std::string& address, Parts parts);
  NodeService(const NodeService&) = delete;
  NodeService& operator=(const NodeService&) = delete;

  // Starts gossip and hinted handoff on `executor` (a strand).
  Status Start(boost::asio::any_io_executor executor);
  void Stop();
  ~NodeService();

  // The answer frame to one request frame. Every request is counted and timed here, once.
  boost::asio::awaitable<std::string> Answer(Frame request);

  // Ok while this node serves as a member of its cluster; else Unavailable saying why not: it is
  // joining (streaming its ranges), leaving or left, or has not reached the cluster (it has seeds
  // or other ring members and sees none of them up). The HTTP API's GET /health.
  Status Health() const;
  // The node's metrics in Prometheus text exposition format 0.0.4 (docs/metrics.md): requests by
  // operation and outcome, the coordinator's failures, the engine, block cache, hints, repair,
  // gossip, connections and the process. Reads the live figures (AnswerStats' among them); any
  // thread.
  std::string MetricsText() const;

  const NodeIdentity& identity() const { return identity_; }
  Gossiper& gossiper() { return *gossiper_; }
  Coordinator& coordinator() { return *coordinator_; }
  HintStore& hints() { return *hints_; }
  HintedHandoff& handoff() { return *handoff_; }
  AntiEntropy& anti_entropy() { return *anti_entropy_; }

 private:
  NodeService(const NodeConfig& config, NodeIdentity identity, Parts parts,
              std::unique_ptr<DotReservation> dots);

  const QuorumSettings quorum_;
  const std::chrono::milliseconds ring_delay_;
  const std::chrono::milliseconds gossip_interval_;
  const int vnodes_;
  const std::string zone_;
  const std::vector<std::string> seeds_;  // host:port
  const MemoryBudget budget_;
  const BlockCodec compression_;
  const std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();
  NodeIdentity identity_;
  Parts parts_;
  // One request's answer frame; `not_found` when it is a get that found nothing (the outcome
  // kv_requests_total counts, with an Error frame's code). Converts from a frame, so the
  // dispatch's many `co_return SomeFrame(...)` stay as they are.
  struct Answered {
    Answered(std::string f) : frame(std::move(f)) {}  // NOLINT: implicit on purpose
    Answered(std::string f, bool nothing) : frame(std::move(f)), not_found(nothing) {}
    std::string frame;
    bool not_found = false;
  };
  boost::asio::awaitable<Answered> Dispatch(Frame request);
  // Applies one replica write (or keeps it as a hint, as a stand-in): Ok once it is durable, or
  // the Error to answer it with.
  boost::asio::awaitable<Status> ApplyReplicaWrite(ReplicaWriteRequest request);
  // Every write of a batch at once (their fsyncs shared), each with its own outcome.
  boost::asio::awaitable<std::string> AnswerReplicaWriteBatch(uint64_t id,
                                                              ReplicaWriteBatchRequest batch);
  // InvalidArgument unless `target` is a node of the current or the future ring.
  Status CheckHintTarget(std::string_view target) const;
  LeaveResponse AnswerLeave(const LeaveRequest& request);
  // kvring remove (Gossiper::RemoveDeadNode), asked of a normal node that has reached the cluster.
  Result<RemoveResponse> AnswerRemove(const RemoveRequest& request);
  StatsResponse AnswerStats() const;
  // kvrepair --status: the ranges AntiEntropy would repair, each as the TombstoneGc sees it.
  // Unavailable when this node keeps no repair records (no TombstoneGc).
  Result<RepairStatusResponse> AnswerRepairStatus() const;
  // Starts a cleanup unless one runs or nodes join or leave (then the error); how the last went.
  Result<CleanupResponse> AnswerCleanup(const CleanupRequest& request);
  boost::asio::awaitable<void> RunCleanup(std::shared_ptr<Cleanup> cleanup);

  // Joining and leaving (see the header comment); each runs at most once at a time.
  boost::asio::awaitable<void> Join();
  boost::asio::awaitable<void> Leave();
  void SetLeavePhase(std::string phase);
  // InvalidArgument unless at least N other nodes are normal and up now: what must hold for this
  // node to leave. Checked when the request arrives, and again in Leave before streaming and
  // before turning left, since the membership may change meanwhile (issue 13: fakes counted when
  // the request came, then marked left, and the node "left" a ring of none).
  Status CheckLeaveKeepsN() const;
  // Unavailable, saying what to wait for, while this node is joining, leaving or left, or has not
  // reached the cluster (it has seeds or other ring members, and no other node is up): a repair
  // then would compare with a partial view of the replicas (kvrepair exits 3; the background round
  // is skipped).
  Status CheckMayRepair() const;
  // Whether this node sees the cluster it belongs to: it is alone by design (no seeds, a ring of
  // itself), or some other node is up in its view.
  bool ReachedCluster() const;

  boost::asio::any_io_executor executor_;  // set by Start

  struct LeaveProgress {
    bool running = false;
    std::string phase;
    uint64_t keys = 0;
    uint64_t bytes = 0;
    std::chrono::steady_clock::time_point start;
    std::string error;
  };
  struct CleanupProgress {
    std::string state = "none";        // CleanupResponse::state
    CleanupFigures figures;            // once it ended
    std::shared_ptr<Cleanup> running;  // while it runs: its progress
    std::chrono::steady_clock::time_point start;
    std::chrono::steady_clock::time_point end;  // when it stopped; unset while it runs
    std::string error;
  };
  std::mutex mu_;
  LeaveProgress leave_;      // GUARDED_BY(mu_)
  CleanupProgress cleanup_;  // GUARDED_BY(mu_)
  StopSignal stop_;          // joining and leaving sleep on it

  RequestMetrics request_metrics_;

  std::unique_ptr<DotReservation> dots_;
  std::unique_ptr<ReplicaStore> store_;
  std::unique_ptr<HintStore> hints_;
  std::unique_ptr<Gossiper> gossiper_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<HintedHandoff> handoff_;
  std::unique_ptr<AntiEntropy> anti_entropy_;
};

}  // namespace kv
