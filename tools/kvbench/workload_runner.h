// The workloads and the loop that runs one: `threads` workers split the operations, each times
// every operation with steady_clock into its own LatencyHistogram, and the histograms are merged
// at the end. The first error stops every worker and is returned.
//
//   fillseq      keys 0..num-1 in order, each worker a contiguous slice
//   fillrandom   keys 0..num-1 in a seeded random order, each written once
//   fillsync     like fillrandom; the caller opens the target with a sync on every write
//   readrandom   `ops` reads of random keys 0..num-1 (all written by an earlier fill)
//   readmissing  `ops` reads of keys no fill writes
//   put / get    the network workloads: fillrandom and readrandom against a node
//
// Threads: RunWorkload blocks its caller and starts and joins the workers itself.
#pragma once

#include <cstdint>
#include <string_view>

#include "libkv/base/status.h"
#include "tools/kvbench/bench_target.h"
#include "tools/kvbench/latency_histogram.h"
#include "tools/kvbench/progress_line.h"
#include "tools/kvbench/workload_keys.h"

namespace kv::bench {

enum class Workload { kFillSeq, kFillRandom, kFillSync, kReadRandom, kReadMissing, kPut, kGet };

// InvalidArgument naming the choices for an unknown name.
Result<Workload> ParseWorkload(std::string_view name);
std::string_view WorkloadName(Workload workload);
bool IsWrite(Workload workload);

struct RunSpec {
  Workload workload = Workload::kFillSeq;
  uint64_t ops = 0;  // for reads; a write workload writes every key of `keys` once
  int threads = 1;
  uint64_t read_seed = 1;
};

struct RunResult {
  uint64_t ops = 0;
  double seconds = 0;
  LatencyHistogram latency;
  uint64_t found = 0;  // reads only
  uint64_t not_found = 0;
};

Result<RunResult> RunWorkload(BenchTarget& target, const WorkloadKeys& keys, const RunSpec& spec,
                              ProgressLine& progress);

}  // namespace kv::bench
