// BenchReport: the figures of one workload run and how kvbench and kvbench-peers print them —
// a few human lines, or one JSON object per run (--json) for scripts. Also the two process
// figures the report carries: peak RSS (VmHWM of /proc/self/status), bytes on disk, and bytes
// written (wchar of /proc/self/io).
//
// Threads: plain values and free functions; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/kvbench/latency_histogram.h"

namespace kv::bench {

// The figures of one kind of operation in a mixed workload ("read", "update").
struct OpTypeReport {
  std::string name;
  uint64_t ops = 0;
  LatencyHistogram latency;
};

struct BenchReport {
  std::string system;                    // "kv", "leveldb", "rocksdb"
  std::string workload;                  // "fillseq", ..., "put", "get"
  std::string workers_name = "threads";  // "concurrency" for the network workloads
  int workers = 1;
  uint64_t ops = 0;
  double seconds = 0;
  LatencyHistogram latency;
  bool is_read = false;
  uint64_t found = 0;
  uint64_t not_found = 0;
  std::optional<uint64_t> peak_rss_bytes;
  std::optional<uint64_t> disk_bytes;
  // A fill's bytes written (write(2) calls of the process, /proc/self/io wchar: commit log,
  // flushes and the compactions that ran) during the timed phase, and the bytes it put (keys and
  // values): their ratio is its write amplification.
  std::optional<uint64_t> bytes_written;
  uint64_t user_bytes = 0;
  std::string sync;  // the sync mode the writes used, empty when not meaningful
  // kvbench net's YCSB-style workloads: the figures per operation type (the overall ones above
  // cover them all), the key distribution, gets that returned siblings, the --load phase.
  std::vector<OpTypeReport> op_types;
  std::string distribution;
  std::optional<uint64_t> siblings;
  std::optional<uint64_t> load_ops;
  std::optional<double> load_seconds;
  // kvbench net --rate: the operations per second the run was paced at (its schedule).
  std::optional<double> target_rate;
  // kvbench engine: the data-block codec, the block cache's size, and the share of the timed
  // phase's block lookups the cache answered (when the system counts them).
  std::string compression;
  std::optional<uint64_t> cache_bytes;
  std::optional<double> cache_hit_ratio;
  // kvbench net: the servers' CPU time (user + system) per operation, summed over
  // server_cpu_nodes nodes (tools/kvbench/server_cpu.h); nodes left out, or why the figure is
  // unknown, in the note. Printed when either is set.
  std::optional<double> server_cpu_us_per_op;
  int server_cpu_nodes = 0;
  std::string server_cpu_note;

  double ops_per_sec() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

// "fillrandom  kv  1000000 ops in 4.21 s: 237529 ops/s ..." and a latency line; then a line per
// operation type when there are several; kvbench net adds "server CPU: 41.3 µs/op (user+system,
// 3 nodes)".
std::string FormatHuman(const BenchReport& report);
// One line: {"system":"kv","workload":"fillrandom","ops":1000000,...,"p999_us":...}, and per
// operation type an object: "read":{"ops":…,"ops_per_sec":…,"p50_us":…,"p99_us":…,"p999_us":…,
// "max_us":…,"mean_us":…}; kvbench net's "server_cpu_us_per_op" (null when unknown),
// "server_cpu_nodes" and, when there is one, "server_cpu_note".
std::string FormatJson(const BenchReport& report);

// VmHWM of this process in bytes; nullopt when /proc/self/status cannot be read.
std::optional<uint64_t> PeakRssBytes();
// The bytes this process has passed to write(2) and its kin (wchar of /proc/self/io); nullopt
// when that cannot be read.
std::optional<uint64_t> WrittenBytes();
// The sum of the sizes of the regular files under `dir`; nullopt when it cannot be walked.
std::optional<uint64_t> DirectoryBytes(const std::string& dir);

}  // namespace kv::bench
