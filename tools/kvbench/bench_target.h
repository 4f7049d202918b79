// BenchTarget: what a workload runs against — the kv engine, a kv node over the network, or (in
// kvbench-peers) LevelDB and RocksDB — so that every system runs the same loop, keys and timing.
//
// Threads: Put and Get are called from `threads` workers at once, each passing its own worker
// number (0..threads-1), so a target may keep per-worker state (a connection) without locks.
// CompactAll is called with no worker running.
#pragma once

#include <optional>
#include <utility>

#include <string_view>

#include "libkv/base/status.h"

namespace kv::bench {

class BenchTarget {
 public:
  virtual ~BenchTarget() = default;
  virtual Status Put(int worker, std::string_view key, std::string_view value) = 0;
  // Whether the key was found.
  virtual Result<bool> Get(int worker, std::string_view key) = 0;
  // Flushes memory to files and compacts everything, so that reads measure the files (the state
  // readrandom is defined on). A network target has nothing to do.
  virtual Status CompactAll() = 0;
  // Block cache lookups so far, when the system counts them: {hits, misses}.
  virtual std::optional<std::pair<uint64_t, uint64_t>> CacheLookups() { return std::nullopt; }
};

}  // namespace kv::bench
