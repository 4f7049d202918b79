// AntiEntropy: Merkle-tree repair between replicas (Dynamo), for what hinted handoff cannot cover:
// a node that lost its data directory, hints past their window, writes that reached fewer than N
// replicas. For one token range this node replicates, and each other node that replicates part of
// it, both sides build a Merkle tree (libkv/antientropy) over the keys of the range that both of
// them should hold (the keys whose write set names both: the preference list, and while nodes
// join or leave the pending replicas too, ClusterView); the initiator compares the trees
// top-down, one level per round trip, descending only into differing subtrees, then gathers the
// keys of the differing leaves on both sides and repairs exactly the keys that differ: it reads
// the peer's sibling set, merges it into its own (by vector clock, never last-write-wins) and
// writes the union back wherever it was missing something. The differing keys go through a
// window of options.window (kRepairWindow) at once, so that concurrent merges on the engine pool,
// and the peer's writes, share group fsyncs; a failure of any key in the window fails the session.
//
// Bounded memory (issue 15). A tree holds leaf sums only, never keys: 24 bytes a leaf while a scan
// builds it, 16 once built, whatever the key count. Trees are rebuilt for each session from a scan
// of the engine (measured: about 0.2 us a key to hash, so a scan dominates; see
// libkv/antientropy/merkle_tree.h): correct by construction, and nothing to keep in step with
// every write path. The initiator sums its keys at the deepest depth its share of memory affords
// for the peers of the scan (SessionDepthLimit), then folds the sums down to the depth its key
// count calls for (MerkleDepthFor: about 16 keys a leaf), and the peer builds its own to the depth
// asked, so a few drifted keys cost the keys of a few small leaves. Once the trees name the
// differing leaves, both sides gather the keys of all of them in one pass of the engine, in
// slices of the key order of at most SliceBytes() of memory each (LeafKeysRequest's `after`,
// `until`, `max_bytes`): the initiator gathers a slice of its own, asks the peer for the same
// stretch, repairs what differs in the part both covered, and goes on after it. The engine stores
// keys in key order, not token order, so a slice is a stretch of one scan that picks out every
// differing leaf's keys at once; a wiped replica, where every leaf differs, costs one pass on
// each side in as many slices as its keys fill, never its key count in memory.
//
// The memory is charged to a share of the node's memory budget (options.session_bytes,
// MemoryBudget::repair_session_bytes): the initiator's trees and its slices wait for room (up to
// options.timeout, saying so once at info) and then fail the session; the responder's tree builds
// and slices are refused with Unavailable when there is no room (a warning each), and the
// initiator's session reports that. So a node's sessions, both sides together, hold at most the
// share (session_memory()). The initiator builds its trees for every peer of a range in one scan,
// and scans again only for the peers after a session that found differences (that session may
// have changed what this node holds). The responder caches the tree it built for a session's
// (range, peer) for a few seconds, so the session's level requests share one scan. That cache is
// bounded (issue 13: 150 level requests naming distinct peers grew it to 3.2 GiB): by entries and
// by bytes (the node's memory budget gives it a share of its own), least recently used first out;
// the tree just built always stays, so the cache holds at most its share and one tree. A peer
// named in a request must be a node of the ring: a tree for anyone else is refused. A background
// round thus costs a scan of the engine per range here and one per session on each peer (and one
// more pass on each side for the keys of differing leaves), which is most of its cost
// (docs/benchmarks.md, "Background anti-entropy against client throughput").
//
// In the background (Start), every `interval` the node repairs each range it replicates (unless
// services.may_repair says it may not now: then it skips the pass, saying why at info once and at
// debug while the reason stays the same), one at a time, and rests after each for `rest_factor`
// times as long as that range took, so anti-entropy holds the node's resources at most
// 1 / (1 + rest_factor) of the time (Riak's users' loudest complaint was anti-entropy halving
// throughput). The window makes a range's repair shorter and busier; the rest stays rest_factor
// times whatever it took. Each pass ends with one info line: ranges (and how many did not
// converge), keys compared, differing, transferred and repaired, bytes, replicas unreachable, and
// the time it took and spent repairing.
//
// Threads: the Answer* calls scan the engine and block: run them on the engine pool. RepairRange
// runs on the calling coroutine's executor, which must be a strand (Transport's rule): the
// window's lanes are spawned on it. Start and Stop from any thread. Thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "libkv/antientropy/merkle_diff.h"
#include "libkv/antientropy/merkle_tree.h"
#include "libkv/async/stop_signal.h"
#include "libkv/base/memory_share.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/transport.h"
#include "libkv/replication/cluster_view.h"
#include "libkv/replication/coordinator.h"
#include "libkv/replication/replica_store.h"
#include "libkv/replication/tombstone_gc.h"
#include "libkv/storage/engine.h"

namespace spdlog {
class logger;
}

namespace kv {

// Keys one session repairs at once (fetch, merge, write back). One at a time, each merge waited
// alone for its fsync (with --sync batch there was nobody to share a group commit with): ~1,400
// keys/s. A window lets its merges here, and its writes on the peer, share group fsyncs. Measured
// (docs/benchmarks.md, "Repair window"; a 100,000-key wiped repair): 16 keys 6.5 s, 32 6.0 s, 64
// 5.0 s, 256 4.3 s. Past 64 the gain is within the noise, and lanes beyond the engine pool's 64
// threads (NodeConfig::engine_threads) only queue merges on the pool client requests share.
inline constexpr size_t kRepairWindow = 64;

struct AntiEntropyOptions {
  std::chrono::milliseconds timeout{60000};  // per message: a responder may scan a large engine
  std::chrono::seconds tree_cache_ttl{30};
  // The responder's tree cache: at most this many trees and bytes (MemoryBudget's share), besides
  // the one just built.
  size_t tree_cache_entries = 64;
  size_t tree_cache_bytes = size_t{16} << 20;
  // What the sessions, as initiator and as responder, may hold at once besides the cache: trees
  // being built or compared, and slices of keys (MemoryBudget's share).
  size_t session_bytes = size_t{8} << 20;
  // Background repair: 0 turns it off (kvnode --anti-entropy-interval-s).
  std::chrono::seconds interval{3600};
  double rest_factor = 9;         // at most a tenth of the time repairing
  size_t window = kRepairWindow;  // keys in flight per session; 1 is one at a time
};

class AntiEntropy {
 public:
  struct Services {
    Transport* transport = nullptr;
    Engine* engine = nullptr;
    ReplicaStore* store = nullptr;
    Coordinator* coordinator = nullptr;  // for MergeLocal
    boost::asio::thread_pool* engine_pool = nullptr;
    std::function<std::shared_ptr<const ClusterView>()> view;
    uint32_t replicas = 3;  // N
    spdlog::logger* logger = nullptr;
    // Told of each repair in which no session failed, and whether it reached all N replicas of
    // every part of its range (null: nobody is).
    TombstoneGc* tombstone_gc = nullptr;
    // Ok when this node may run a background repair now; else why not (it is joining or leaving,
    // or has not reached the cluster), and the round is skipped. Null: always.
    std::function<Status()> may_repair;
    std::function<uint64_t()> wall_micros;  // required with tombstone_gc
  };

  AntiEntropy(Services services, AntiEntropyOptions options)
      : s_(std::move(services)), options_(options) {}

  // The token ranges this node replicates (adjacent ones joined), in token order.
  std::vector<TokenRange> Ranges() const;

  // What this node's repairs of ranges (RepairRange: kvrepair's, the background rounds', and a
  // joining or leaving node's streaming) did since it started, for its metrics (kv_repair_* in
  // docs/metrics.md).
  struct RepairTotals {
    uint64_t ranges = 0;             // repairs of a range that ended
    uint64_t ranges_incomplete = 0;  // of those, with a session that failed (a replica missed)
    uint64_t keys_compared = 0;
    uint64_t keys_repaired = 0;
    uint64_t bytes_exchanged = 0;
    // When the last repair with no failed session ended (wall clock, microseconds since the
    // epoch); 0 when none has yet.
    uint64_t last_complete_micros = 0;
  };
  RepairTotals totals() const;

  // The responder's tree cache now: trees and their bytes.
  struct TreeCacheFigures {
    size_t trees = 0;
    size_t bytes = 0;
  };
  TreeCacheFigures tree_cache() const;

  // The sessions' memory (options.session_bytes): reserved now, the most at once, and the share.
  MemoryShare::Figures session_memory() const { return memory_.figures(); }

  // A peer's session: this node's answers. Blocking (an engine scan the first time for a range
  // and peer, and for each slice of leaf keys): call on the engine pool. InvalidArgument for a
  // malformed request; Unavailable when the session share has no room now.
  Result<MerkleLevelResponse> AnswerLevel(const MerkleLevelRequest& request);
  Result<LeafKeysResponse> AnswerLeafKeys(const LeafKeysRequest& request);

  // Repairs `range` with every other node that replicates part of it (in the current or the
  // future ring); the figures of the run. The whole ring (start == end) with every node is how a
  // joining or leaving node streams its ranges: only the keys both sides should hold are compared.
  // When every session (the second pass too) succeeded, tells the TombstoneGc, which records it
  // only if the view was settled and named N replicas, this node among them, for every part of
  // the range: a repair that reached fewer proves nothing of the replicas it missed.
  boost::asio::awaitable<RepairResponse> RepairRange(TokenRange range);

  // Background repair rounds on `executor` (a strand), unless options.interval is 0.
  void Start(boost::asio::any_io_executor executor);
  void Stop();

 private:
  // This node's tree of a range over the keys both it and a peer replicate: leaf sums, no keys.
  struct RangeTree {
    MerkleTree tree;
    std::chrono::steady_clock::time_point built;
    size_t bytes = 0;  // its hashes
    // The initiator's: the tree's bytes in the session share while it is held. The responder's
    // cached trees count in the cache's share instead.
    MemoryShare::Reservation memory;
  };
  using RangeTrees = std::vector<std::shared_ptr<const RangeTree>>;
  // The keys of some leaves in one slice of the key order, ascending.
  struct KeySlice {
    std::vector<KeyDigest> keys;
    bool more = false;  // stopped at max_bytes: covers up to `last` (its last key) only
    std::string last;
  };

  // The most a tree of `depth` holds while a scan builds it (its leaf sums and its hashes).
  static size_t TreeBuildBytes(int depth) { return size_t{24} << depth; }
  // The deepest tree (at most kMaxMerkleDepth) of which `trees` can be built at once in a
  // quarter of the session share: the rest is for slices of keys and the responder's side.
  int SessionDepthLimit(size_t trees) const;
  // The memory a slice of keys may take on each side (a sixteenth of the session share, and at
  // most half a frame).
  size_t SliceBytes() const;
  // Waits up to options.timeout for `bytes` of the session share, saying once at info what waits
  // for what; Unavailable, naming the share and how to get room, when it stays full.
  boost::asio::awaitable<Result<MemoryShare::Reservation>> ReserveWaiting(size_t bytes,
                                                                          std::string what);
  // The responder's: `bytes` now, or Unavailable (and a warning) when there is no room.
  Result<MemoryShare::Reservation> ReserveNow(size_t bytes, std::string_view what);

  Result<std::shared_ptr<const RangeTree>> TreeFor(TokenRange range, int depth,
                                                   const std::string& peer, bool use_cache);
  // This node's trees of the range for each of `peers`, from one scan of the engine that sums
  // keys into leaves at `sum_depth`: each tree `depth` deep, or without one as deep as its keys
  // call for (MerkleDepthFor) up to sum_depth. With `hold`, each tree takes its bytes from it
  // (RangeTree::memory); the caller reserved peers * TreeBuildBytes(sum_depth). Blocking.
  Result<RangeTrees> BuildTrees(TokenRange range, std::optional<int> depth,
                                const std::vector<std::string>& peers, int sum_depth,
                                MemoryShare::Reservation* hold);
  // The keys (with digests) of the given leaves of a tree of `depth` over `range` that this node
  // and `peer` both replicate, after `after` ("": from the first) up to `until` ("": to the last),
  // until they take max_bytes (at least one key). One stretch of an engine scan. Blocking.
  Result<KeySlice> GatherLeafKeys(TokenRange range, int depth, const std::string& peer,
                                  const std::vector<bool>& leaves, const std::string& after,
                                  const std::string& until, size_t max_bytes);
  // A session with each peer in turn, adding to `figures`; the peers that failed, and why in
  // figures->problems. `pass` names the pass in those reasons.
  boost::asio::awaitable<std::vector<std::string>> RunSessions(TokenRange range,
                                                               std::vector<std::string> peers,
                                                               std::string pass,
                                                               RepairResponse* figures);
  // One session: compares `mine` (this node's tree for the peer) with the peer's, top-down, then
  // the keys of the differing leaves slice by slice.
  boost::asio::awaitable<Status> RepairWith(TokenRange range, const std::string& peer,
                                            std::shared_ptr<const RangeTree> mine,
                                            RepairResponse* figures);
  // Repairs one slice's differing keys through the window.
  boost::asio::awaitable<Status> RepairKeys(const std::string& address, KeyDifferences diff,
                                            RepairResponse* figures);
  // One session's differing keys, shared by its lanes; on the session's executor (a strand).
  struct RepairWindow {
    explicit RepairWindow(boost::asio::any_io_executor executor)
        : lanes_done(executor, std::chrono::steady_clock::time_point::max()) {}
    std::string address;
    RepairResponse* figures = nullptr;  // the session's: it outlives every lane
    std::vector<std::string> fetch;     // theirs, or different: fetch, merge, write back
    std::vector<std::string> send;      // ours alone: send
    size_t next = 0;                    // the next key, over fetch then send
    size_t lanes_running = 0;
    Status first_error;                    // once set, no lane starts another key
    boost::asio::steady_timer lanes_done;  // cancelled when the last lane ends
  };
  // Repairs keys from the window until none are left or one failed.
  boost::asio::awaitable<void> RepairLane(std::shared_ptr<RepairWindow> w);
  boost::asio::awaitable<Status> FetchAndMerge(const std::string& address, const std::string& key,
                                               RepairResponse* figures);
  boost::asio::awaitable<Status> SendOurs(const std::string& address, const std::string& key,
                                          RepairResponse* figures);
  // Sends one request to the peer and counts the bytes both ways.
  boost::asio::awaitable<Result<Frame>> CallPeer(const std::string& address, wire::MessageType type,
                                                 std::string body, RepairResponse* figures);
  boost::asio::awaitable<void> Rounds();

  // InvalidArgument unless `peer` is a node of the current or the future ring.
  Status CheckPeer(const std::string& peer) const;
  // REQUIRES: mu_ held. Drops the expired trees, then the least recently used ones until the
  // cache is within its bounds, never `keep`.
  void EvictLocked(const std::tuple<Token, Token, int, std::string>& keep);

  Services s_;
  AntiEntropyOptions options_;
  mutable std::mutex mu_;
  struct CachedTree {
    std::shared_ptr<const RangeTree> tree;
    uint64_t last_used = 0;  // use_clock_ when last asked for
  };
  // (range start, range end, depth, peer) -> the tree built for it.
  std::map<std::tuple<Token, Token, int, std::string>, CachedTree> cache_;  // GUARDED_BY(mu_)
  size_t cache_bytes_ = 0;  // GUARDED_BY(mu_): the cached trees' bytes
  uint64_t use_clock_ = 0;  // GUARDED_BY(mu_)
  RepairTotals totals_;     // GUARDED_BY(mu_)
  MemoryShare memory_{options_.session_bytes};
  StopSignal stop_;
};

}  // namespace kv
