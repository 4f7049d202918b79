// `kvbench net`: workloads against a running node (or cluster, through one node) over
// libkv/client, with `concurrency` workers each on its own connection with one request in flight
// on it, all coroutines on one event loop (AsyncClient), as redis-benchmark and wrk run theirs: a
// thread per worker would take much of the cores the servers share on one machine. The key
// space is keys 0..K-1, K = `keys`, else `num`.
//
//   put      writes each key of the key space once, blind (no context), in a seeded random order:
//            the load phase of the others. Into a fresh cluster: a blind write of a key that is
//            already there adds a sibling.
//   get      `num` reads of keys chosen by `distribution`;
//   a, b, c  YCSB's core workloads, `num` operations each a read or an update of a key chosen by
//            `distribution`: a 50% reads / 50% updates, b 95/5, c 100/0.
//
// An update is a read-modify-write, counted and timed as one operation: a get, then a put with
// the context that get returned, so it supersedes what it read. (A blind put would add a sibling
// at every concurrent update — the store keeps them rather than lose a write — and the key would
// grow without bound.) With `load`, the key space is first written as by `put` (untimed for the
// figures, reported as load_ops and load_seconds).
//
// With `rate` > 0 the measured operations (not the --load phase) are paced open-loop at that many
// per second over all the workers (Pacer, tools/kvbench/workload_runner.h): each worker sends on a
// fixed schedule, and latency counts from when an operation was due, so queueing behind a slow
// answer is measured. The workers still have one request in flight each, so `concurrency` must
// cover rate × latency, or the run falls behind its schedule (its ops_per_sec then shows it).
//
// Every get (the reads, and the first half of each update) counts as found or not found, and as
// one with siblings when it returned several versions.
//
// What the measured operations cost the servers: the user + system CPU time of every node of the
// cluster, asked before and after them (tools/kvbench/server_cpu.h), per operation.
//
// Threads: RunNetBench blocks, running the workers' event loop on the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "libkv/base/status.h"
#include "libkv/net/host_port.h"
#include "libkv/net/tls.h"
#include "tools/kvbench/bench_report.h"

namespace kv::bench {

struct NetBenchOptions {
  HostPort node;
  std::string workload;  // put | get | a | b | c
  uint64_t num = 100000;
  uint64_t keys = 0;                     // the key space; 0: num
  std::string distribution = "uniform";  // uniform | zipfian
  bool load = false;
  int concurrency = 50;
  double rate = 0;  // target operations per second over all workers; 0: as fast as answered
  uint32_t r = 0;   // 0: the node's default quorums
  uint32_t w = 0;
  size_t key_size = 16;
  size_t value_size = 100;
  uint64_t seed = 301;
  std::chrono::milliseconds timeout{5000};
  std::string cluster_name = "kv";
  // The client's TLS credentials (null: plain TCP). The server CPU figure needs role admin
  // (StatsRequest); with a client certificate the run reports throughput without it.
  std::shared_ptr<TlsContext> tls;
  bool progress = false;
};

// InvalidArgument for a bad option; Unavailable or Timeout when the node cannot serve.
Result<BenchReport> RunNetBench(const NetBenchOptions& options);

}  // namespace kv::bench
