// ReplicaStore: one node's sibling sets, kept as the values of its engine (docs/formats.md,
// "Sibling set"). Every change is an atomic read-modify-write of one key (Engine::Update), so
// concurrent writes to a key merge instead of overwriting each other. Blocking: in batch sync a
// write returns after the fsync that covers it, so node code calls the writers on its engine pool.
// Thread-safe (the engine is); the store does not own the engine.
#pragma once

#include <string_view>

#include "libkv/base/status.h"
#include "libkv/storage/engine.h"
#include "libkv/versioning/sibling_set.h"

namespace kv {

class ReplicaStore {
 public:
  ReplicaStore(Engine* engine, ClockId clock_id, ClockPruneOptions prune = {})
      : engine_(engine), clock_id_(clock_id), prune_(prune) {}

  ClockId clock_id() const { return clock_id_; }

  // The key's sibling set; empty when the key was never written here. Corruption (naming the
  // key) when the stored bytes are not a sibling set.
  Result<SiblingSet> Read(std::string_view key) const;

  // A client's write coordinated here: a new version with a fresh dot of this node's clock id
  // supersedes what the write's context covers (SiblingSet::Put). Returns the set now stored,
  // which the coordinator sends whole to the other replicas.
  Result<SiblingSet> Coordinate(std::string_view key, SiblingWrite write) const;

  // Merges a set from another replica (a coordinator's write, read repair). Returns the set now
  // stored; writes nothing when the incoming set adds nothing.
  Result<SiblingSet> Merge(std::string_view key, const SiblingSet& incoming) const;

 private:
  Engine* engine_;
  ClockId clock_id_;
  ClockPruneOptions prune_;
};

}  // namespace kv
