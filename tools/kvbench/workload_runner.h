// The workloads and the loop that runs one: `threads` workers split the operations, each times
// every operation with steady_clock into its own LatencyHistogram, and the histograms are merged
// at the end. The first error stops every worker and is returned.
//
//   fillseq      keys 0..num-1 in order, each worker a contiguous slice
//   fillrandom   keys 0..num-1 in a seeded random order, each written once
//   fillsync     like fillrandom; the caller opens the target with a sync on every write
//   readrandom   `ops` reads of random keys 0..num-1 (all written by an earlier fill), uniform
//                or as RunSpec::chooser draws them
//   readmissing  `ops` reads of keys no fill writes
//   put / get    the network workloads: fillrandom and readrandom against a node
//
// Threads: RunWorkload blocks its caller and starts and joins the workers itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "libkv/base/status.h"
#include "tools/kvbench/bench_target.h"
#include "tools/kvbench/latency_histogram.h"
#include "tools/kvbench/ops_progress.h"
#include "tools/kvbench/workload_keys.h"

namespace kv::bench {

enum class Workload { kFillSeq, kFillRandom, kFillSync, kReadRandom, kReadMissing, kPut, kGet };

// InvalidArgument naming the choices for an unknown name.
Result<Workload> ParseWorkload(std::string_view name);
std::string_view WorkloadName(Workload workload);
bool IsWrite(Workload workload);

// Open-loop pacing at a target rate, as wrk2 does: with `rate` operations per second over
// `workers` workers, worker w's k-th operation is due at origin + (k * workers + w) / rate, so
// each worker sends rate / workers a second, staggered. A worker sleeps until its next operation
// is due, or sends at once when it is already late; the operation's latency counts from when it
// was due, not from when it was sent, so a server that falls behind is charged for the time the
// request would have queued (no coordinated omission). Rate 0: no pacing, every worker sends its
// next request as soon as the last is answered, and latency counts from the send.
//
// Threads: immutable; share one among the workers.
class Pacer {
 public:
  using Clock = std::chrono::steady_clock;
  Pacer(double rate, int workers) : rate_(rate), workers_(workers) {}

  bool paced() const { return rate_ > 0; }
  // Waits until worker `worker`'s operation `k` (counted from 0) is due, and returns the time to
  // measure its latency from: when it was due (paced), or now (not paced).
  Clock::time_point Wait(Clock::time_point origin, int worker, uint64_t k) const;
  // When worker `worker`'s operation `k` is due (now when not paced), without waiting: for
  // callers that wait on a timer instead of a thread.
  Clock::time_point Due(Clock::time_point origin, int worker, uint64_t k) const;

 private:
  double rate_;
  int workers_;
};

struct RunSpec {
  Workload workload = Workload::kFillSeq;
  uint64_t ops = 0;  // for reads; a write workload writes every key of `keys` once
  int threads = 1;
  uint64_t read_seed = 1;
  double rate = 0;  // target operations per second over all threads (Pacer); 0: unpaced
  // readrandom and readmissing draw keys from it when set (shared, read-only); else uniformly.
  const KeyChooser* chooser = nullptr;
};

struct RunResult {
  uint64_t ops = 0;
  double seconds = 0;
  LatencyHistogram latency;
  uint64_t found = 0;  // reads only
  uint64_t not_found = 0;
};

Result<RunResult> RunWorkload(BenchTarget& target, const WorkloadKeys& keys, const RunSpec& spec,
                              OpsProgress& progress);

}  // namespace kv::bench
