// LevelDB and RocksDB as BenchTargets, opened with the settings kv's engine uses so that the
// figures compare like with like: kv's default memtable and block sizes, a bloom filter of the
// given bits per key, no compression (kv has none), an 8 MiB block cache, and a sync on every
// write only for fillsync.
//
// Threads: both databases are thread-safe; the targets add no state of their own.
#pragma once

#include <string>

#include "libkv/base/status.h"
#include "tools/kvbench/engine_bench.h"

namespace kv::bench {

Result<OpenedTarget> OpenLevelDb(const std::string& dir, bool sync_every_write, int bloom_bits);
Result<OpenedTarget> OpenRocksDb(const std::string& dir, bool sync_every_write, int bloom_bits);

}  // namespace kv::bench
