#include "tools/kvbench/workload_runner.h"
#include "tools/kvbench/first_error.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace kv::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct Named {
  Workload workload;
  std::string_view name;
};
constexpr Named kWorkloads[] = {
    {Workload::kFillSeq, "fillseq"},
    {Workload::kFillRandom, "fillrandom"},
    {Workload::kFillSync, "fillsync"},
    {Workload::kReadRandom, "readrandom"},
    {Workload::kReadMissing, "readmissing"},
    {Workload::kPut, "put"},
    {Workload::kGet, "get"},
};

// Workers report progress in batches so that they do not all fight over one cache line.
constexpr uint64_t kProgressBatch = 256;

struct WorkerOutput {
  LatencyHistogram latency;
  uint64_t found = 0;
  uint64_t not_found = 0;
};

}  // namespace

Result<Workload> ParseWorkload(std::string_view name) {
  for (const auto& w : kWorkloads) {
    if (w.name == name) return w.workload;
  }
  return Status::InvalidArgument(fmt::format(
      "unknown workload '{}': use fillseq, fillrandom, fillsync, readrandom or readmissing "
      "(engine), put or get (net)",
      name));
}

std::string_view WorkloadName(Workload workload) {
  for (const auto& w : kWorkloads) {
    if (w.workload == workload) return w.name;
  }
  return "?";
}

bool IsWrite(Workload workload) {
  return workload == Workload::kFillSeq || workload == Workload::kFillRandom ||
         workload == Workload::kFillSync || workload == Workload::kPut;
}

Pacer::Clock::time_point Pacer::Due(Clock::time_point origin, int worker, uint64_t k) const {
  if (!paced()) return Clock::now();
  const double slot = static_cast<double>(k) * workers_ + worker;
  return origin +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(slot / rate_));
}

Pacer::Clock::time_point Pacer::Wait(Clock::time_point origin, int worker, uint64_t k) const {
  const Clock::time_point due = Due(origin, worker, k);
  if (paced()) std::this_thread::sleep_until(due);
  return due;
}

Result<RunResult> RunWorkload(BenchTarget& target, const WorkloadKeys& keys, const RunSpec& spec,
                              OpsProgress& progress) {
  if (spec.threads < 1) return Status::InvalidArgument("--threads must be at least 1");
  const bool write = IsWrite(spec.workload);
  const uint64_t total = write ? keys.num() : spec.ops;
  std::vector<uint64_t> order;  // index of the key each write operation writes
  if (write && spec.workload != Workload::kFillSeq) order = keys.RandomOrder();

  std::vector<WorkerOutput> outputs(spec.threads);
  FirstError error;
  const auto threads = static_cast<uint64_t>(spec.threads);
  const Pacer pacer(spec.rate, spec.threads);
  Clock::time_point started;  // set before the workers start

  auto work = [&](int worker) {
    WorkerOutput& out = outputs[worker];
    const uint64_t begin = total * worker / threads;
    const uint64_t end = total * (worker + 1) / threads;
    IndexSequence reads(spec.read_seed * 1000003 + worker);
    std::string key;
    uint64_t unreported = 0;
    for (uint64_t op = begin; op < end && !error.failed(); ++op) {
      Clock::time_point start;
      if (write) {
        keys.KeyAt(order.empty() ? op : order[op], &key);
        std::string_view value = keys.ValueFor(op);
        start = pacer.Wait(started, worker, op - begin);
        Status s = target.Put(worker, key, value);
        if (!s.ok()) {
          error.Set(s.WithContext(fmt::format("writing key {}", key)));
          break;
        }
      } else {
        const uint64_t index = spec.chooser ? spec.chooser->Next(reads) : reads.Next(keys.num());
        if (spec.workload == Workload::kReadMissing) {
          keys.MissingKeyAt(index, &key);
        } else {
          keys.KeyAt(index, &key);
        }
        start = pacer.Wait(started, worker, op - begin);
        Result<bool> found = target.Get(worker, key);
        if (!found.ok()) {
          error.Set(found.status().WithContext(fmt::format("reading key {}", key)));
          break;
        }
        ++(*found ? out.found : out.not_found);
      }
      auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
      out.latency.Record(static_cast<uint64_t>(nanos.count()));
      if (++unreported == kProgressBatch) {
        progress.Add(unreported);
        unreported = 0;
      }
    }
    progress.Add(unreported);
  };

  progress.Start(std::string(WorkloadName(spec.workload)), total);
  started = Clock::now();
  std::vector<std::thread> workers;
  workers.reserve(spec.threads);
  for (int w = 0; w < spec.threads; ++w) workers.emplace_back(work, w);
  for (auto& t : workers) t.join();
  const auto finished = Clock::now();
  progress.Stop();

  if (error.failed()) return error.status();
  RunResult result;
  result.ops = total;
  result.seconds = std::chrono::duration<double>(finished - started).count();
  for (const auto& out : outputs) {
    result.latency.Merge(out.latency);
    result.found += out.found;
    result.not_found += out.not_found;
  }
  return result;
}

}  // namespace kv::bench
