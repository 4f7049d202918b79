#include "tools/kvbench/net_bench.h"

#include <memory>
#include <vector>

#include <fmt/format.h>

#include "libkv/client/client.h"
#include "tools/kvbench/bench_target.h"
#include "tools/kvbench/progress_line.h"
#include "tools/kvbench/workload_keys.h"
#include "tools/kvbench/workload_runner.h"

namespace kv::bench {

namespace {

// One blocking Client per worker: `concurrency` requests in flight, one per connection.
class NodeTarget final : public BenchTarget {
 public:
  explicit NodeTarget(std::vector<std::unique_ptr<Client>> clients)
      : clients_(std::move(clients)) {}

  Status Put(int worker, std::string_view key, std::string_view value) override {
    return clients_[worker]->Put(key, value);
  }
  Result<bool> Get(int worker, std::string_view key) override {
    KV_ASSIGN_OR_RETURN(auto value, clients_[worker]->Get(key));
    return value.has_value();
  }
  Status CompactAll() override { return Status::Ok(); }

 private:
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace

Result<BenchReport> RunNetBench(const NetBenchOptions& options) {
  KV_ASSIGN_OR_RETURN(Workload workload, ParseWorkload(options.workload));
  if (workload != Workload::kPut && workload != Workload::kGet) {
    return Status::InvalidArgument(
        "kvbench net runs put or get; engine workloads need `kvbench engine`");
  }
  if (options.concurrency < 1) return Status::InvalidArgument("--concurrency must be at least 1");
  KV_ASSIGN_OR_RETURN(auto keys, WorkloadKeys::Make(options.num, options.key_size,
                                                    options.value_size, options.seed));

  // Connect every worker first, so an unreachable node fails before the clock starts.
  ClientOptions client_options;
  client_options.timeout = options.timeout;
  client_options.cluster_name = options.cluster_name;
  std::vector<std::unique_ptr<Client>> clients;
  clients.reserve(options.concurrency);
  for (int i = 0; i < options.concurrency; ++i) {
    auto client = Client::Connect(options.node, client_options);
    if (!client.ok()) {
      return client.status().WithContext(
          fmt::format("connecting to {}:{}", options.node.host, options.node.port));
    }
    clients.push_back(std::move(*client));
  }
  NodeTarget target(std::move(clients));

  ProgressLine progress(options.progress);
  RunSpec spec{workload, options.num, options.concurrency, options.seed + 1};
  KV_ASSIGN_OR_RETURN(RunResult run, RunWorkload(target, keys, spec, progress));

  BenchReport report;
  report.system = "kv";
  report.workload = std::string(WorkloadName(workload));
  report.workers_name = "concurrency";
  report.workers = options.concurrency;
  report.ops = run.ops;
  report.seconds = run.seconds;
  report.latency = run.latency;
  report.is_read = workload == Workload::kGet;
  report.found = run.found;
  report.not_found = run.not_found;
  return report;
}

}  // namespace kv::bench
