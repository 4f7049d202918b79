// SiblingSet: every version of one key that no other version supersedes — what a replica stores
// per key and what a get returns. A plain value, not thread-safe; the node serialises writes to
// one key (Engine::Update) and the set lives only inside that call. Pure: time is passed in.
//
// Invariant: no version's history lies within another's (none is dominated), no two have the
// same history, and the versions are sorted by dot, so equal sets encode to equal bytes.
//
// How the node must use it, for "never a lost update" to hold (tests/versioning's replica model
// checks it, and shows a write lost when the second rule is broken):
//  - A write is coordinated by a primary replica of the key whose data is intact, through Put on
//    its local set inside Engine::Update. Not by a fallback: it drops its copy after handoff and
//    would then issue dots without remembering its earlier ones.
//  - The coordinator sends its whole resulting set (not only the new version) to the other
//    replicas, which Merge it into theirs. Then any replica holding a dot (c, n) also holds, or
//    holds something superseding, every earlier write of this key by c: that is what lets a
//    context cover the gaps below a dot (Context) safely.
//  - Dots never repeat for one clock id. Put takes the next counter above everything the local
//    set and the context have seen. A node that may have lost recent local writes (a crash with
//    an unsynced commit log, a wiped data dir) must start with a new clock id; passing
//    `min_counter` from a node-wide counter it persists also covers a clock whose own entry was
//    pruned away (Riak's vnode counter, the fix for KV679).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/versioning/vector_clock.h"
#include "libkv/versioning/version.h"

namespace kv {

// A client write as the coordinator applies it.
struct SiblingWrite {
  VectorClock context;  // the merged clock of what the client read; empty for a blind write
  ClockId coordinator = 0;
  bool tombstone = false;
  std::string value;  // ignored for a tombstone
  uint64_t now_micros = 0;
  uint64_t min_counter = 0;  // the dot's counter is at least this (see above)
};

class SiblingSet {
 public:
  SiblingSet() = default;

  const std::vector<Version>& versions() const { return versions_; }
  bool empty() const { return versions_.empty(); }
  size_t size() const { return versions_.size(); }
  // True when there are versions and every one is a tombstone: a get answers "not found".
  bool AllTombstones() const;

  // Adds a version from elsewhere (a replica, a decoded set): dropped when some version here
  // supersedes it or has its history; otherwise kept, and it drops whatever it supersedes.
  void Add(Version v);
  // The union with `other`, reduced to the versions no other supersedes. Commutative,
  // associative, idempotent.
  void Merge(const SiblingSet& other);
  static SiblingSet Merged(SiblingSet a, const SiblingSet& b) {
    a.Merge(b);
    return a;
  }

  // A coordinator's write: drops every version the context covers (the client saw it), and adds
  // a new version whose history is the context plus a fresh dot at the coordinator, with its
  // clock pruned by `prune`. Without a context it supersedes nothing and becomes a sibling.
  // Returns the new version's dot; InvalidArgument (nothing changed) when no fresh counter is
  // left for the coordinator, which only a forged context token can cause.
  Result<Dot> Put(SiblingWrite write, const ClockPruneOptions& prune);

  // The version with this dot, or null. Valid until the set next changes.
  const Version* Find(const Dot& dot) const;

  // The context a get hands to the client: the merged history of every version here.
  VectorClock Context() const;

  // docs/formats.md, "Sibling set". Decode rejects anything malformed with Corruption, never
  // crashes, and never allocates more than the input justifies.
  std::string Encode() const;
  static Result<SiblingSet> Decode(std::string_view bytes);
  // For encoded bytes whose versions are all tombstones (at least one), the newest one's
  // timestamp_micros; nullopt when a value is among them or the bytes do not parse. Reads in
  // place, stopping at the first value (tombstone GC asks it of every value a compaction sees).
  // It checks less than Decode: a caller that acts on a tombstone-only answer decodes too.
  static std::optional<uint64_t> NewestTombstoneIfOnlyTombstones(std::string_view bytes);

  friend bool operator==(const SiblingSet&, const SiblingSet&) = default;

 private:
  std::vector<Version> versions_;
};

}  // namespace kv
