// LevelDB and RocksDB as BenchTargets, opened with the settings kv's engine uses so that the
// figures compare like with like: kv's default memtable and block sizes, the benchmark's bloom
// bits per key, codec (LevelDB has only snappy) and block cache size, and a sync on every write
// only for fillsync.
//
// Threads: both databases are thread-safe; the targets add no state of their own.
#pragma once

#include <string>

#include "libkv/base/status.h"
#include "tools/kvbench/engine_bench.h"

namespace kv::bench {

Result<OpenedTarget> OpenLevelDb(const std::string& dir, bool sync_every_write,
                                 const EngineBenchOptions& bench);
Result<OpenedTarget> OpenRocksDb(const std::string& dir, bool sync_every_write,
                                 const EngineBenchOptions& bench);

}  // namespace kv::bench
