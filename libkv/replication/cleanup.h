// Cleanup: removes from this node's engine the keys it no longer replicates (kvring cleanup,
// Cassandra's `nodetool cleanup`). When a node joins, the nodes whose ranges it takes keep their
// old copies: disk that is never given back, and a risk besides — should one of those ranges come
// back to such a node after the key was deleted and its tombstone purged everywhere (tombstone
// GC), its stale copy would be repaired back to the other replicas: a deleted key returned.
//
// A key stays when this node is in its write set (replicas and pending replicas, ClusterView) in
// the view the cleanup began with. Nothing is removed while nodes join or leave (a node may be
// taking ranges this one is streaming), and should the ring change during the run, it stops with
// Unavailable: a range this node gains could otherwise lose what was streamed to it. What it
// removed before stays removed, and that was not this node's to keep.
//
// The removals are plain engine deletes (the key's engine tombstone, not a cluster tombstone: the
// other replicas keep the key), several at once so that they share group fsyncs.
//
// Threads: Step blocks (an engine scan and deletes): call it from a pool thread, one at a time.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "libkv/base/status.h"
#include "libkv/replication/cluster_view.h"
#include "libkv/replication/shared_replicas.h"
#include "libkv/storage/engine.h"

namespace kv {

struct CleanupFigures {
  uint64_t keys_scanned = 0;
  uint64_t keys_removed = 0;
  uint64_t bytes_removed = 0;  // their keys' and values' bytes
};

class Cleanup {
 public:
  // Unavailable when nodes are joining or leaving in `view()` now.
  static Result<std::unique_ptr<Cleanup>> Start(
      Engine* engine, std::function<std::shared_ptr<const ClusterView>()> view, size_t n);
  ~Cleanup();

  // Scans up to `max_keys` keys after the last one scanned and removes those this node does not
  // replicate, adding to `figures`; false once the scan has reached the end. Unavailable when the
  // membership changed since Start.
  Result<bool> Step(size_t max_keys, CleanupFigures* figures);

 private:
  Cleanup(Engine* engine, std::function<std::shared_ptr<const ClusterView>()> view,
          std::shared_ptr<const ClusterView> start_view, size_t n);
  Status CheckRingUnchanged() const;
  // Deletes the keys, several at once; the first failure.
  Status RemoveAll(const std::vector<std::string>& keys);

  Engine* engine_;
  std::function<std::shared_ptr<const ClusterView>()> view_;
  std::shared_ptr<const ClusterView> start_view_;
  SharedReplicas self_;   // non-empty for the tokens this node replicates
  std::string last_key_;  // the last key scanned; empty before the first (keys are never empty)
  boost::asio::thread_pool deleters_;
};

}  // namespace kv
