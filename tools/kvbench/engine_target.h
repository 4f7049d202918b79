// kv's own engine as a BenchTarget for `kvbench engine`: opens kv::Engine on the POSIX Env with
// the benchmark's bloom bits and sync mode, and closes it (flush, sync) when destroyed.
//
// Threads: the engine is thread-safe; the target adds no state of its own.
#pragma once

#include <optional>
#include <string>

#include "libkv/base/status.h"
#include "libkv/storage/engine.h"
#include "tools/kvbench/engine_bench.h"

namespace kv::bench {

// `sync`: the mode from --sync; when absent, batch for fillsync (a sync covers every write,
// group-committed) and off for the other fills, the rule the peers follow too.
// The rest (bloom bits, codec, cache size) comes from the benchmark's options. `memory_budget`:
// open the engine as kvnode --memory-budget would (memtables, block cache); absent, the engine's
// defaults.
Result<OpenedTarget> OpenKvEngine(const std::string& dir, bool sync_every_write,
                                  std::optional<SyncMode> sync, const EngineBenchOptions& bench,
                                  std::optional<size_t> memory_budget);

}  // namespace kv::bench
