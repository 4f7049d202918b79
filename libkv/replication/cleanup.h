// Cleanup: removes from this node's engine the keys it no longer replicates (kvring cleanup,
// Cassandra's `nodetool cleanup`). When a node joins, the nodes whose ranges it takes keep their
// old copies: disk that is never given back, and a risk besides — should one of those ranges come
// back to such a node after the key was deleted and its tombstone purged everywhere (tombstone
// GC), its stale copy would be repaired back to the other replicas: a deleted key returned.
//
// A key stays when this node is in its write set (replicas and pending replicas, ClusterView) in
// the view the cleanup began with. Nothing is removed while nodes join or leave (a node may be
// taking ranges this one is streaming), and should the ring change during the run, it stops with
// Unavailable and removes nothing: a range this node gains could otherwise lose what was streamed
// to it.
//
// As Cassandra's, it rewrites the tables rather than deleting keys: the engine flushes its
// memtable and rewrites every table without the keys that go (Engine::RewriteTables), writing no
// tombstone (the other replicas keep the key, and a cluster tombstone would delete it there), and
// deletes the old tables when it ends, which gives their disk back at once. The ring is checked
// every few thousand keys and once more right before the new tables replace the old, so a change
// during the run leaves every key where it was.
//
// Threads: Run blocks (it waits for the rewrite on the engine's compaction thread): call it from a
// pool thread, once. progress() from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "libkv/base/status.h"
#include "libkv/replication/cluster_view.h"
#include "libkv/replication/shared_replicas.h"
#include "libkv/storage/engine.h"

namespace kv {

struct CleanupFigures {
  uint64_t keys_scanned = 0;
  uint64_t keys_removed = 0;
  uint64_t bytes_removed = 0;  // their keys' and values' bytes
  // The tables' bytes before and after the rewrite (0 until it ends): before - after is the disk
  // given back, after the bytes the rewrite wrote.
  uint64_t table_bytes_before = 0;
  uint64_t table_bytes_after = 0;
};

class Cleanup {
 public:
  // Unavailable when nodes are joining or leaving in `view()` now. `stopping` (null: never) makes
  // a run stop with Unavailable, removing nothing, once it returns true (the node stops).
  static Result<std::unique_ptr<Cleanup>> Start(
      Engine* engine, std::function<std::shared_ptr<const ClusterView>()> view, size_t n,
      std::function<bool()> stopping = nullptr);

  // Rewrites the engine's tables without the keys this node does not replicate. Unavailable
  // when the membership changed since Start (nothing removed).
  Result<CleanupFigures> Run();
  // The figures so far, while Run runs.
  CleanupFigures progress() const;

 private:
  Cleanup(Engine* engine, std::function<std::shared_ptr<const ClusterView>()> view,
          std::shared_ptr<const ClusterView> start_view, size_t n, std::function<bool()> stopping);
  Status CheckMayGoOn() const;

  Engine* engine_;
  std::function<std::shared_ptr<const ClusterView>()> view_;
  std::shared_ptr<const ClusterView> start_view_;
  std::function<bool()> stopping_;
  SharedReplicas self_;  // non-empty for the tokens this node replicates
  RewriteProgress progress_;
};

}  // namespace kv
