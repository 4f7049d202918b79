#include "libkv/versioning/version.h"

namespace kv {
namespace {

// The history of `b` as: events 1..b.clock[i] of each id i, plus the single event b.dot.
bool HistoryHolds(const Version& b, ClockId id, uint64_t counter) {
  return counter <= b.clock.CounterOf(id) || (b.dot.id == id && b.dot.counter == counter);
}

// Is the history of `a` a subset of the history of `b`?
bool HistorySubset(const Version& a, const Version& b) {
  for (const ClockEntry& e : a.clock.entries()) {
    // Events 1..e.counter; b holds a prefix 1..m plus maybe its dot, so all are held when the
    // prefix reaches e.counter, or reaches e.counter - 1 and the dot is the last one.
    const uint64_t m = b.clock.CounterOf(e.id);
    const bool held =
        e.counter <= m || (b.dot.id == e.id && b.dot.counter == e.counter && m + 1 == e.counter);
    if (!held) return false;
  }
  return HistoryHolds(b, a.dot.id, a.dot.counter);
}

}  // namespace

VectorClock Version::HistoryClock() const {
  VectorClock h = clock;
  h.Witness(dot.id, dot.counter, timestamp_micros);
  return h;
}

ClockOrder CompareVersions(const Version& a, const Version& b) {
  const bool a_in_b = HistorySubset(a, b);
  const bool b_in_a = HistorySubset(b, a);
  if (a_in_b && b_in_a) return ClockOrder::kEqual;
  if (a_in_b) return ClockOrder::kBefore;
  if (b_in_a) return ClockOrder::kAfter;
  return ClockOrder::kConcurrent;
}

bool IsCoveredByContext(const Version& v, const VectorClock& context) {
  return v.clock.IsCoveredBy(context) && v.dot.counter <= context.CounterOf(v.dot.id);
}

}  // namespace kv
