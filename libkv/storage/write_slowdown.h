// WriteSlowdown: how long a write group waits when flushes or compactions fall behind the
// writers. Pure (no clock, no locks): the engine's write leader asks before each group, with what
// the memtables hold and how many sorted runs there are.
//
// Under a soft limit a write goes at once. Between the soft and the hard limit it sleeps a delay
// proportional to how far past the soft limit the engine is (RocksDB's delayed writes, not
// LevelDB's fixed 1 ms per write once behind): a burst is met by a small delay that grows
// smoothly while the backlog grows, so writers settle at the speed background work keeps up
// with. At the hard limit writes stop until a flush or compaction ends; that bounds memory
// (memtables) and read cost, file handles and index memory (runs).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace kv {

// The delay at the hard limit; a group just past the soft limit waits a few microseconds.
inline constexpr std::chrono::microseconds kMaxWriteDelay{1000};

struct WriteLoad {
  uint64_t memtable_content = 0;  // bytes written into the active and immutable memtables
  uint64_t memtable_bytes = 0;    // EngineOptions::memtable_bytes
  size_t max_immutable_memtables = 0;
  size_t runs = 0;                 // sorted runs of tables
  bool compaction_running = true;  // false once compaction stopped on an error: runs won't drop
};

struct WriteThrottle {
  std::chrono::microseconds delay{0};
  bool stop_for_runs = false;  // too many runs: wait for a compaction
};

// Memtables: soft limit two memtables' worth (the active one and one being flushed: a flush that
// keeps up never crosses it), hard limit 1 + max_immutable_memtables of them (the engine stops
// writes there itself, when the active one is full and no immutable slot is free).
// Runs: soft limit kMaxRuns + 2 (compaction works on them past kMaxRuns), hard 2 * kMaxRuns.
WriteThrottle ThrottleFor(const WriteLoad& load);

}  // namespace kv
