// Coordinator: runs a client's get, put or delete across the key's replicas, on whichever node the
// client reached (every node coordinates; Dynamo). A request goes to all the key's N replicas at
// once and completes after R answers (a get) or W acknowledgements (a write), or fails when that
// many cannot come within the timeout, saying how many replicas answered.
//
//  - A get merges the sibling sets the replicas return (SiblingSet::Merge: by vector clock, never
//    last-write-wins) and, once every replica has answered or timed out, sends the merged set to
//    those that returned less (read repair, off the client's path).
//  - A write is coordinated by a replica of the key, which must issue the write's dot: a node that
//    is not one forwards the request to one (once). The coordinator applies the write to its own
//    set (ReplicaStore::Coordinate) and sends the whole resulting set to the other replicas, which
//    merge it. Under a sloppy quorum (Dynamo) a replica that is down is replaced by the next
//    healthy node beyond the preference list, which keeps the set as a hint for the replica it
//    stands in for (HintStore, HintedHandoff) and counts toward W; `primaries_only` (Riak's PW)
//    refuses stand-ins. A replica (or stand-in) that has not acknowledged by the timeout gets a
//    hint kept by the coordinator itself, as Cassandra does, so a replica the failure detector
//    still thought up is caught up too. A write that fails its quorum after the local apply is
//    reported as possibly applied: it is on at least this replica and will spread.
//  - While nodes join or leave, a write also goes to the key's pending replicas (ClusterView:
//    its future preference list's nodes not in the current one) and waits for W + (their number)
//    acknowledgements, as Cassandra does; a pending node is never a stand-in.
//  - Reads ask the key's own replicas only: a stand-in's hints are not read before they are
//    handed off, nor a joining node's ranges before it has streamed them.
//  - A request may ask the local quorum of a zone instead of R or W (Cassandra's LOCAL_QUORUM;
//    local_quorum.h): a majority of the key's replicas in that zone, which only their answers
//    count toward. A local read asks the zone's replicas alone; a local write still goes to all.
//
// A ring smaller than N stores every key on each of its nodes, and R and W are then capped at the
// ring's size, so a lone node serves with the defaults.
// Threads: the coroutines run on the calling connection's strand; blocking engine writes go to
// the engine pool. The coordinator's only mutable state is its counts of the outcomes an operator
// alerts on (counts(), relaxed atomics, on the rare paths only: a forward, a shortfall, a repair).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "libkv/base/status.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/transport.h"
#include "libkv/replication/cluster_view.h"
#include "libkv/replication/hint_store.h"
#include "libkv/replication/replica_store.h"
#include "libkv/replication/replica_write_batcher.h"

namespace spdlog {
class logger;
}

namespace kv {

struct CoordinatorOptions {
  QuorumSettings quorum;
  // How long a request waits for its quorum; replicas still silent then count as failed.
  std::chrono::milliseconds timeout{2000};
  ClockPruneOptions prune;
  // Sloppy quorum with hints (kvnode --hinted-handoff). Off: a write goes to the key's own
  // replicas only, as if every request asked for primaries_only.
  bool sloppy_quorum = true;
};

// A client's write as the coordinator takes it: a value, or a tombstone (delete).
struct ClientWrite {
  std::string key;
  bool tombstone = false;
  std::string value;
  std::string context;  // binary context token; empty for a blind write
  uint32_t w = 0;       // 0: the cluster's W
  bool forwarded = false;
  bool primaries_only = false;
  std::string local_zone = {};  // non-empty (w 0): the local quorum of this zone (local_quorum.h)
};

// What a coordinator has counted since it was made (kv_coordinator_* in docs/metrics.md).
struct CoordinatorCounts {
  // Gets answered by fewer than R replicas, or than their local quorum (failed).
  uint64_t read_quorum_failures = 0;
  // Writes acknowledged by fewer than W (or their local quorum) and pending replicas.
  uint64_t write_quorum_failures = 0;
  // Writes answered MaybeApplied: a write quorum failure after this node stored the write, or
  // this node's own store failing after the others were sent it.
  uint64_t maybe_applied = 0;
  uint64_t read_repairs = 0;      // copies a read repair sent to a stale replica (or merged here)
  uint64_t forwarded_writes = 0;  // writes handed to a replica of the key (this node is not one)
};

// The answers of one request's replicas, as they come in (coordinator.cc).
class ReplicaReplies;

class Coordinator {
 public:
  struct Services {
    Transport* transport = nullptr;
    ReplicaStore* store = nullptr;
    HintStore* hints = nullptr;  // null: no hints (no sloppy quorum)
    boost::asio::thread_pool* engine_pool = nullptr;
    std::function<std::shared_ptr<const ClusterView>()> view;
    std::function<bool(std::string_view node_id)> is_up;
    std::function<uint64_t()> wall_micros;  // for version timestamps and clock pruning
    spdlog::logger* logger = nullptr;
  };

  Coordinator(Services services, CoordinatorOptions options)
      : s_(std::move(services)),
        options_(options),
        replica_writes_(s_.transport, options_.timeout) {}

  const CoordinatorOptions& options() const { return options_; }
  CoordinatorCounts counts() const;

  // InvalidArgument for an R outside 1..N; Unavailable or Timeout when fewer than R replicas
  // answered (the message says how many, and why the others did not). With `local_zone` (and r
  // 0) the quorum is the zone's local quorum (local_quorum.h: InvalidArgument for a zone no
  // node is in, or that holds no replica of the key), asked of the zone's replicas only.
  boost::asio::awaitable<Result<GetResponse>> Get(std::string key, uint32_t r,
                                                  std::string local_zone = {});

  // InvalidArgument for a bad context token or a W outside 1..N (nothing written); MaybeApplied
  // when fewer than W replicas acknowledged after this node stored the write (the message says
  // how many, and why the others did not); Unavailable when no replica could take it. With a
  // local zone, as Get's: the write goes to every replica, and the zone's local quorum of them
  // must acknowledge (Write says which acknowledgements count).
  boost::asio::awaitable<Status> Write(ClientWrite write);

  // What a replica answers a coordinator: its set, and merging a set into it.
  Result<SiblingSet> ReadLocal(std::string_view key) const { return s_.store->Read(key); }
  boost::asio::awaitable<Result<SiblingSet>> MergeLocal(std::string key, SiblingSet incoming);
  // The same when the caller needs only the outcome (a replica write's answer).
  boost::asio::awaitable<Status> ApplyReplicaWrite(std::string key, SiblingSet incoming);

 private:
  boost::asio::awaitable<Status> Forward(const ClientWrite& write,
                                         const std::vector<std::string>& replicas,
                                         const ClusterView& view);
  // Merges `incoming` into this node's set of the key through the engine's commit queue, leaving
  // the set now stored in *merged when it is given.
  boost::asio::awaitable<Status> MergeLocalInto(std::string key, SiblingSet incoming,
                                                SiblingSet* merged);
  // The new version a client write makes (its context decoded: InvalidArgument when bad).
  Result<SiblingWrite> SiblingWriteFor(const ClientWrite& write) const;
  // Submits this node's copy of a coordinated write and returns once its merge has decided the
  // set to store (left in *encoded) or the write failed; on_done gets the final status on this
  // coroutine's executor once the write is durable (or failed).
  boost::asio::awaitable<Status> DecideLocal(std::string_view key, SiblingWrite write,
                                             std::string* encoded,
                                             std::function<void(Status)> on_done);
  // Keeps a hint for each owner whose copy of a write did not land.
  boost::asio::awaitable<void> HintMissedCopies(std::vector<std::string> owners, std::string key,
                                                std::shared_ptr<const std::string> siblings);

  struct Counters {
    std::atomic<uint64_t> read_quorum_failures{0};
    std::atomic<uint64_t> write_quorum_failures{0};
    std::atomic<uint64_t> maybe_applied{0};
    std::atomic<uint64_t> read_repairs{0};
    std::atomic<uint64_t> forwarded_writes{0};
  };
  static void Count(std::atomic<uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }

  Services s_;
  CoordinatorOptions options_;
  Counters counters_;
  ReplicaWriteBatcher replica_writes_;  // the writes a coordinated write sends the replicas
};

}  // namespace kv
