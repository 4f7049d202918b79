// ReplicaStore: one node's sibling sets, kept as the values of its engine (docs/formats.md,
// "Sibling set"). Every change is an atomic read-modify-write of one key (an engine update,
// ordered by the engine's commit queue), so concurrent writes to a key merge instead of
// overwriting each other. The rules (CoordinateRule, MergeRule) are what a caller submits to the
// engine itself, from a coroutine (engine_submission.h); Coordinate is the blocking form of the
// first, which returns after the fsync that covers the write (tests).
// Thread-safe (the engine is); the store does not own the engine.
#pragma once

#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/replication/dot_reservation.h"
#include "libkv/storage/engine.h"
#include "libkv/versioning/sibling_set.h"

namespace kv {

// No node issues more dots than this: a million writes a second for two thousand years, or 2^36
// restarts each skipping a reserved block. A counter above it is forged or corrupt, and leaves a
// key's counters far from overflowing.
inline constexpr uint64_t kMaxPlausibleCounter = uint64_t{1} << 56;

class ReplicaStore {
 public:
  // `dots`: the node's durable counter reservation, which every coordinated write's dot comes
  // from (dot_reservation.h). Null only where the local copy of a write is never lost after its
  // dot left the node: tests, and positive controls that show what it prevents.
  ReplicaStore(Engine* engine, ClockId clock_id, DotReservation* dots, ClockPruneOptions prune = {})
      : engine_(engine), clock_id_(clock_id), dots_(dots), prune_(prune) {}

  ClockId clock_id() const { return clock_id_; }

  // InvalidArgument when a client's context claims a counter of this node's clock id above what
  // it has issued (DotReservation::issued_through; unchecked without a reservation, in tests), or
  // of any clock above kMaxPlausibleCounter: such a context was forged or comes from another
  // cluster, and writing under it would push the key's counters out of reach (issue 13: a
  // context claiming 2^64-2 made the key unwritable). Other nodes' clocks cannot be checked more
  // closely here: each node knows only what it issued itself.
  Status CheckContext(const VectorClock& context) const;
  // The same for a sibling set from another node (a replica write): its clocks and dots.
  Status CheckIncoming(const SiblingSet& set) const;
  Engine& engine() const { return *engine_; }

  // The key's sibling set; empty when the key was never written here. Corruption (naming the
  // key) when the stored bytes are not a sibling set.
  Result<SiblingSet> Read(std::string_view key) const;

  // A client's write coordinated here, blocking until it is durable: a new version with a fresh
  // dot of this node's clock id supersedes what the write's context covers (SiblingSet::Put).
  // Returns the set now stored, which the coordinator sends whole to the other replicas.
  Result<SiblingSet> Coordinate(std::string_view key, SiblingWrite write) const;

  // The engine merge rules of a coordinated write and of merging a set from another replica (a
  // coordinator's write, read repair, anti-entropy; it stores nothing when the incoming set adds
  // nothing), for Engine::Submit. They run on the engine's commit
  // thread; what they store is also left in `*stored` (the set) or `*encoded` (its bytes) when
  // those are given, for the submitter to read once the write is decided. Each rule may run
  // once.
  EngineWrite::MergeFn CoordinateRule(std::string key, SiblingWrite write, SiblingSet* stored,
                                      std::string* encoded) const;
  EngineWrite::MergeFn MergeRule(std::string key, SiblingSet incoming, SiblingSet* stored) const;

 private:
  Engine* engine_;
  ClockId clock_id_;
  DotReservation* dots_;
  ClockPruneOptions prune_;
};

}  // namespace kv
