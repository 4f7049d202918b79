// The engine benchmark as kvbench engine and kvbench-peers both run it: open a store in a
// directory, run one workload, report. A fill leaves a small record (kvbench.fill: num, key and
// value size, seed) in the directory, so that a readrandom or readmissing run in a later process
// regenerates the same keys; a read run on a directory without one first fills it (fillrandom,
// untimed). Before reads the store is flushed and fully compacted (untimed), so every system
// reads from files in the same shape.
//
// Threads: RunEngineBench blocks; the workload's threads are its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "libkv/base/status.h"
#include "libkv/storage/engine.h"
#include "tools/kvbench/bench_report.h"
#include "tools/kvbench/bench_target.h"

namespace kv::bench {

struct EngineBenchOptions {
  std::string dir;
  std::string workload;  // fillseq | fillrandom | fillsync | readrandom | readmissing
  uint64_t num = 1000000;
  int threads = 1;
  size_t key_size = 16;
  size_t value_size = 100;
  int bloom_bits = 10;
  // Data-block codec: kv lz4 | zstd | none; LevelDB snappy | none; RocksDB any of these.
  std::string compression = "lz4";
  uint64_t cache_bytes = kDefaultBlockCacheBytes;  // every system's block cache (kv's default)
  std::string values = "random";                   // random | text (JSON-like, compressible)
  std::string distribution = "uniform";            // readrandom's keys: uniform | zipfian
  uint64_t seed = 301;
  bool progress = false;  // draw the progress line on stderr
};

struct OpenedTarget {
  std::unique_ptr<BenchTarget> target;
  std::string sync;  // how writes are synced, for the report: "batch", "off", "every write"
};

// Opens the system under test in `dir`; `sync_every_write` is true for fillsync.
using OpenTargetFn =
    std::function<Result<OpenedTarget>(const std::string& dir, bool sync_every_write)>;

// InvalidArgument for a bad option (exit 2); anything else comes from the store (exit 3).
Result<BenchReport> RunEngineBench(const EngineBenchOptions& options, const std::string& system,
                                   const OpenTargetFn& open);

// NotFound when a readrandom, get, a, b or c run missed a key the fill (or load) wrote, or a
// readmissing run found a key no fill writes: the store lost or invented data, or the key space
// was never loaded, and the figures mean nothing.
Status VerifyReads(const BenchReport& report);

// The tool exit code for a Status: 0, 1 NotFound, 2 InvalidArgument, 3 otherwise.
int ExitCodeFor(const Status& status);

}  // namespace kv::bench
