// `kvbench net`: the put and get workloads against a running node over libkv/client, with
// `concurrency` workers each on its own connection (the client is blocking: one request in flight
// per connection). put writes keys 0..num-1 once each in a seeded random order; get reads random
// keys 0..num-1, so a get run after a put run with the same --num and --seed finds every key.
//
// Threads: RunNetBench blocks; the workers are its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "libkv/base/status.h"
#include "libkv/net/host_port.h"
#include "tools/kvbench/bench_report.h"

namespace kv::bench {

struct NetBenchOptions {
  HostPort node;
  std::string workload;  // put | get
  uint64_t num = 100000;
  int concurrency = 50;
  size_t key_size = 16;
  size_t value_size = 100;
  uint64_t seed = 301;
  std::chrono::milliseconds timeout{5000};
  std::string cluster_name = "kv";
  bool progress = false;
};

// InvalidArgument for a bad option; Unavailable or Timeout when the node cannot serve.
Result<BenchReport> RunNetBench(const NetBenchOptions& options);

}  // namespace kv::bench
