// VectorClock: a version vector of (clock id, counter, timestamp) entries, one per actor that
// coordinated a write. A plain value (copyable, no shared state); pure functions, any thread.
// Time is passed in (microseconds since the Unix epoch); nothing here reads a clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"

namespace kv {

// The identity that increments a clock: 64 random bits drawn once per data directory and stored
// in it (the node layer does that), never the node's name. A node whose data dir was wiped gets a
// new id, so it cannot reissue counters it has forgotten (Riak's KV679 bug). 64 bits rather than
// a string: every stored version carries its clock, and a fixed 8 bytes keeps that small and
// compares in one instruction; random ids collide with odds of about n^2 / 2^65.
using ClockId = uint64_t;

// The clock id as 16 lowercase hex digits, for people and JSON.
std::string ClockIdToHex(ClockId id);

struct ClockEntry {
  ClockId id = 0;
  uint64_t counter = 0;           // >= 1; an absent entry means 0
  uint64_t timestamp_micros = 0;  // when `id` last incremented it; only pruning reads it

  friend bool operator==(const ClockEntry&, const ClockEntry&) = default;
};

enum class ClockOrder {
  kEqual,       // same counters
  kBefore,      // this one happened before the other (the other dominates it)
  kAfter,       // this one dominates the other
  kConcurrent,  // neither saw the other: their writes are siblings
};

// When a clock has grown past `max_entries`, drop its oldest entries (by timestamp) that are
// older than `min_age_micros`, until it fits or no entry is old enough (Dynamo, Riak).
// Trade-off: a pruned clock forgets some history, so a later write may no longer show that it
// descends from an earlier one and the two come back as siblings (false concurrency, which a
// client resolves). It never makes a write look dominated by one that did not see it, because
// a version is superseded only when another covers its own dot (see version.h), and pruning
// only ever removes coverage. Hence: siblings, never a lost update.
struct ClockPruneOptions {
  size_t max_entries = 10;
  uint64_t min_age_micros = 24ull * 3600 * 1000 * 1000;  // a day
};

class VectorClock {
 public:
  VectorClock() = default;

  // Entries sorted by id, each with counter >= 1 (the invariant every method keeps).
  const std::vector<ClockEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  // 0 when `id` has no entry.
  uint64_t CounterOf(ClockId id) const;

  // Adds one to `id`'s counter (from 0 if absent) and stamps it with `now_micros`.
  void Increment(ClockId id, uint64_t now_micros);

  // Sets `id`'s counter to at least `counter` (a no-op for 0). The timestamp follows the larger
  // counter; on a tie the later timestamp wins, so Merge stays commutative.
  void Witness(ClockId id, uint64_t counter, uint64_t timestamp_micros);

  // Pointwise maximum.
  void Merge(const VectorClock& other);
  static VectorClock Merged(VectorClock a, const VectorClock& b) {
    a.Merge(b);
    return a;
  }

  // Counters only; timestamps never affect order.
  ClockOrder Compare(const VectorClock& other) const;
  // True when every counter here is <= the other's (kBefore or kEqual).
  bool DescendsFrom(const VectorClock& other) const { return other.IsCoveredBy(*this); }
  bool IsCoveredBy(const VectorClock& other) const;

  // Returns how many entries were dropped. See ClockPruneOptions.
  size_t Prune(const ClockPruneOptions& options, uint64_t now_micros);

  // The format of docs/formats.md, "Sibling set" (`clock`). DecodeFrom consumes one clock from
  // the front of `in`; any malformed input is Corruption, never a crash or a huge allocation.
  void EncodeTo(std::string* out) const;
  static Result<VectorClock> DecodeFrom(std::string_view* in);

  // "{a1b2...:3, ...}" for logs and tests.
  std::string ToString() const;

  friend bool operator==(const VectorClock&, const VectorClock&) = default;

 private:
  std::vector<ClockEntry> entries_;
};

}  // namespace kv
