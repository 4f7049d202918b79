// What counting and timing a request costs (docs/benchmarks.md, "Request metrics"): the work
// NodeService::Answer adds to every request — two steady_clock reads and RequestMetrics::Record —
// in ns per request, on 1 thread and on as many threads as cores at once (each on its own shard,
// as a node's I/O threads are), against the same loop without the Record (the clock reads alone).
// Build: ninja -C build-rel kvbench-request-metrics (not built by default).
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "libkv/node/request_metrics.h"

namespace kv {
namespace {

using Clock = std::chrono::steady_clock;

enum class Work { kClockReads, kRecord };

// ns per request of each of `threads` threads running `iterations` at once: the two clock reads
// Answer makes, or the Record alone (of a fixed duration).
double NanosPerRequest(RequestMetrics& metrics, int threads, int iterations, Work work) {
  std::atomic<int64_t> sink{0};
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      int64_t local = 0;
      for (int i = 0; i < iterations; ++i) {
        const RequestOp op = (i & 7) == 0 ? RequestOp::kGet : RequestOp::kPut;
        if (work == Work::kClockReads) {
          const auto begin = Clock::now();
          local += (Clock::now() - begin).count();
        } else {
          metrics.Record(op, RequestOutcome::kOk, std::chrono::microseconds(150 + (i & 255) + t));
        }
      }
      sink += local;
    });
  for (std::thread& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return seconds * 1e9 / iterations;  // the wall time each thread's request took
}

}  // namespace
}  // namespace kv

int main() {
  auto metrics = std::make_unique<kv::RequestMetrics>();
  constexpr int kIterations = 20'000'000;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // The least of five rounds: the figure least disturbed by whatever else the machine runs.
  for (int threads : {1, cores}) {
    double clocks = 1e9, record = 1e9;
    for (int round = 0; round < 5; ++round) {
      clocks = std::min(clocks,
                        kv::NanosPerRequest(*metrics, threads, kIterations, kv::Work::kClockReads));
      record =
          std::min(record, kv::NanosPerRequest(*metrics, threads, kIterations, kv::Work::kRecord));
    }
    std::printf("%d thread(s) at once: two clock reads %.1f ns, Record %.1f ns per request\n",
                threads, clocks, record);
  }
  return 0;
}
