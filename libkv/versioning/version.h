// Version: one write of a key — a value or a tombstone — with its causal history, as a dotted
// version vector: `dot` is the write's own event (the coordinator's clock id and a counter no
// other write of this key got from that id) and `clock` is the history the writer had seen (the
// client's context). A plain value; pure functions, any thread.
//
// Why a dot rather than a single clock: with one clock per version, a write without a context at
// coordinator c must either get {c: k+1}, which dominates c's earlier writes {c: k} that this
// client never saw (they would be dropped: a lost update), or {c: 1}, which can equal another
// write's clock (one of the two dropped). The dot names the event exactly, so the new write is a
// sibling of everything it did not see (Preguiça et al., "Dotted Version Vectors", 2012; Riak 2.0).
// When dot.counter == clock[dot.id] + 1 — every write with a fresh context — the history is
// just `clock` incremented at the coordinator, as in Dynamo.
#pragma once

#include <cstdint>
#include <string>

#include "libkv/versioning/vector_clock.h"

namespace kv {

struct Dot {
  ClockId id = 0;
  uint64_t counter = 0;  // >= 1

  friend bool operator==(const Dot&, const Dot&) = default;
  friend auto operator<=>(const Dot&, const Dot&) = default;
};

struct Version {
  VectorClock clock;  // what the writer had seen (its context), pruned
  Dot dot;            // this write's own event
  bool tombstone = false;
  std::string value;              // empty for a tombstone
  uint64_t timestamp_micros = 0;  // the coordinator's wall clock at the write; for people

  // The whole history as one clock: `clock` with the dot added (a gap below the dot is covered
  // too: see sibling_set.h on why that is safe for a context).
  VectorClock HistoryClock() const;

  friend bool operator==(const Version&, const Version&) = default;
};

// Compares the histories (the sets of events seen): kBefore when a's history is a strict subset
// of b's, so b supersedes a; kEqual for the same history; kConcurrent when neither holds.
ClockOrder CompareVersions(const Version& a, const Version& b);

// True when the history of `v` lies within `context` (a plain clock): a write made with that
// context supersedes `v`.
bool IsCoveredByContext(const Version& v, const VectorClock& context);

}  // namespace kv
