// WriteSlowdown: how much writes are slowed when flushes or compactions fall behind the writers.
// Pure (no clock, no locks): the engine's write leader asks before each group, with what the
// memtables hold and how many sorted runs there are, and owes a delay for the bytes it writes.
//
// Under a soft limit writes go at full speed. Between the soft and the hard limit each byte
// written owes a delay proportional to how far past the soft limit the engine is: the write rate
// is capped at 1 / (pressure * 1 us per byte), i.e. unlimited just past the soft limit, 10 MB/s
// at a tenth of the way, 1 MB/s at the hard limit (RocksDB's delayed write rate, not LevelDB's
// fixed 1 ms per write once behind). Writers thus settle at the rate background work keeps up
// with, a little past the soft limit, with the rest of the way left for bursts; the delay is
// the same per byte whether one thread writes or sixty-four. At the hard limit writes stop until
// a flush or compaction ends; that bounds memory (memtables) and read cost, file handles and
// index memory (runs).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace kv {

// The delay per byte written at the hard limit.
inline constexpr double kWriteDelayNanosPerByteAtHardLimit = 1000;

struct WriteLoad {
  uint64_t memtable_content = 0;  // bytes written into the active and immutable memtables
  uint64_t memtable_bytes = 0;    // EngineOptions::memtable_bytes
  size_t max_immutable_memtables = 0;
  size_t runs = 0;                 // sorted runs of tables
  bool compaction_running = true;  // false once compaction stopped on an error: runs won't drop
};

struct WriteThrottle {
  double pressure = 0;         // 0 under the soft limits, up to 1 at a hard limit
  bool stop_for_runs = false;  // too many runs: wait for a compaction

  // What writing `bytes` owes at this pressure.
  std::chrono::nanoseconds DelayFor(uint64_t bytes) const {
    return std::chrono::nanoseconds(static_cast<int64_t>(
        pressure * kWriteDelayNanosPerByteAtHardLimit * static_cast<double>(bytes)));
  }
};

// Memtables: soft limit two memtables' worth (the active one and one being flushed: a flush that
// keeps up never crosses it), hard limit 1 + max_immutable_memtables of them (the engine stops
// writes there itself, when the active one is full and no immutable slot is free).
// Runs: soft limit kMaxRuns + 2 (compaction works on them past kMaxRuns), hard 2 * kMaxRuns.
WriteThrottle ThrottleFor(const WriteLoad& load);

}  // namespace kv
