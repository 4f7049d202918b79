#include "libkv/versioning/vector_clock.h"

#include <algorithm>
#include <cstdio>

#include "libkv/base/coding.h"
#include "libkv/versioning/versioning_format.h"

namespace kv {

std::string ClockIdToHex(ClockId id) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

namespace {

// The first entry whose id is not below `id`; const or not, as `entries` is.
template <class Entries>
auto LowerBound(Entries& entries, ClockId id) {
  return std::lower_bound(entries.begin(), entries.end(), id,
                          [](const ClockEntry& e, ClockId v) { return e.id < v; });
}

}  // namespace

uint64_t VectorClock::CounterOf(ClockId id) const {
  auto it = LowerBound(entries_, id);
  return it != entries_.end() && it->id == id ? it->counter : 0;
}

void VectorClock::Increment(ClockId id, uint64_t now_micros) {
  auto it = LowerBound(entries_, id);
  if (it != entries_.end() && it->id == id) {
    ++it->counter;
    it->timestamp_micros = now_micros;
  } else {
    entries_.insert(it, ClockEntry{id, 1, now_micros});
  }
}

void VectorClock::Witness(ClockId id, uint64_t counter, uint64_t timestamp_micros) {
  if (counter == 0) return;
  auto it = LowerBound(entries_, id);
  if (it == entries_.end() || it->id != id) {
    entries_.insert(it, ClockEntry{id, counter, timestamp_micros});
  } else if (counter > it->counter) {
    it->counter = counter;
    it->timestamp_micros = timestamp_micros;
  } else if (counter == it->counter) {
    it->timestamp_micros = std::max(it->timestamp_micros, timestamp_micros);
  }
}

void VectorClock::Merge(const VectorClock& other) {
  std::vector<ClockEntry> out;
  out.reserve(entries_.size() + other.entries_.size());
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  while (a != entries_.end() || b != other.entries_.end()) {
    if (b == other.entries_.end() || (a != entries_.end() && a->id < b->id)) {
      out.push_back(*a++);
    } else if (a == entries_.end() || b->id < a->id) {
      out.push_back(*b++);
    } else {
      ClockEntry e = a->counter >= b->counter ? *a : *b;
      if (a->counter == b->counter) {
        e.timestamp_micros = std::max(a->timestamp_micros, b->timestamp_micros);
      }
      out.push_back(e);
      ++a;
      ++b;
    }
  }
  entries_ = std::move(out);
}

bool VectorClock::IsCoveredBy(const VectorClock& other) const {
  auto b = other.entries_.begin();
  for (const ClockEntry& e : entries_) {
    while (b != other.entries_.end() && b->id < e.id) ++b;
    if (b == other.entries_.end() || b->id != e.id || b->counter < e.counter) return false;
  }
  return true;
}

ClockOrder VectorClock::Compare(const VectorClock& other) const {
  bool some_less = false;  // some counter here is below the other's
  bool some_more = false;
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  while (a != entries_.end() || b != other.entries_.end()) {
    if (b == other.entries_.end() || (a != entries_.end() && a->id < b->id)) {
      some_more = true;
      ++a;
    } else if (a == entries_.end() || b->id < a->id) {
      some_less = true;
      ++b;
    } else {
      if (a->counter < b->counter) some_less = true;
      if (a->counter > b->counter) some_more = true;
      ++a;
      ++b;
    }
  }
  if (some_less && some_more) return ClockOrder::kConcurrent;
  if (some_less) return ClockOrder::kBefore;
  if (some_more) return ClockOrder::kAfter;
  return ClockOrder::kEqual;
}

size_t VectorClock::Prune(const ClockPruneOptions& options, uint64_t now_micros) {
  size_t dropped = 0;
  while (entries_.size() > options.max_entries) {
    // The oldest entry; ties go to the smaller id so every replica prunes alike.
    auto oldest = std::min_element(
        entries_.begin(), entries_.end(), [](const ClockEntry& x, const ClockEntry& y) {
          return x.timestamp_micros != y.timestamp_micros ? x.timestamp_micros < y.timestamp_micros
                                                          : x.id < y.id;
        });
    // A timestamp in the future (another node's clock runs ahead) counts as age 0.
    const uint64_t age =
        now_micros > oldest->timestamp_micros ? now_micros - oldest->timestamp_micros : 0;
    if (age <= options.min_age_micros) break;
    entries_.erase(oldest);
    ++dropped;
  }
  return dropped;
}

void VectorClock::EncodeTo(std::string* out) const {
  PutVarint32(out, static_cast<uint32_t>(entries_.size()));
  for (const ClockEntry& e : entries_) {
    PutFixed64(out, e.id);
    PutVarint64(out, e.counter);
    PutVarint64(out, e.timestamp_micros);
  }
}

Result<VectorClock> VectorClock::DecodeFrom(std::string_view* in) {
  uint32_t count = 0;
  if (!GetVarint32(in, &count)) return Status::Corruption("vector clock: bad entry count");
  // Checked before reserving, so a forged count cannot make us allocate.
  if (count > kMaxClockEntries || count * kMinClockEntryBytes > in->size()) {
    return Status::Corruption("vector clock: entry count " + std::to_string(count) +
                              " exceeds the input");
  }
  VectorClock clock;
  clock.entries_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ClockEntry e;
    if (!GetFixed64(in, &e.id) || !GetVarint64(in, &e.counter) ||
        !GetVarint64(in, &e.timestamp_micros)) {
      return Status::Corruption("vector clock: truncated entry " + std::to_string(i));
    }
    if (e.counter == 0) return Status::Corruption("vector clock: zero counter");
    if (!clock.entries_.empty() && clock.entries_.back().id >= e.id) {
      return Status::Corruption("vector clock: entries not in ascending id order");
    }
    clock.entries_.push_back(e);
  }
  return clock;
}

std::string VectorClock::ToString() const {
  std::string s = "{";
  for (const ClockEntry& e : entries_) {
    if (s.size() > 1) s += ", ";
    s += ClockIdToHex(e.id) + ":" + std::to_string(e.counter);
  }
  return s + "}";
}

}  // namespace kv
