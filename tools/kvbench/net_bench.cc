#include "tools/kvbench/net_bench.h"

#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "libkv/client/client.h"
#include "tools/kvbench/bench_target.h"
#include "tools/kvbench/first_error.h"
#include "tools/kvbench/ops_progress.h"
#include "tools/kvbench/server_cpu.h"
#include "tools/kvbench/workload_keys.h"
#include "tools/kvbench/workload_runner.h"

namespace kv::bench {

namespace {

using Clock = std::chrono::steady_clock;

// One blocking Client per worker: `concurrency` requests in flight, one per connection.
class NodeTarget final : public BenchTarget {
 public:
  NodeTarget(std::vector<std::unique_ptr<Client>> clients, ReadOptions read, uint32_t w)
      : clients_(std::move(clients)), read_(read), w_(w) {}

  Status Put(int worker, std::string_view key, std::string_view value) override {
    return clients_[worker]->Put(key, value, WriteOptions{.context = {}, .w = w_});
  }
  Result<bool> Get(int worker, std::string_view key) override {
    KV_ASSIGN_OR_RETURN(GetResult got, clients_[worker]->Get(key, read_));
    return got.found();
  }
  Status CompactAll() override { return Status::Ok(); }

  Client& client(int worker) { return *clients_[worker]; }

 private:
  std::vector<std::unique_ptr<Client>> clients_;
  ReadOptions read_;
  uint32_t w_;
};

// The share of reads of each YCSB-style workload; the rest are updates.
struct Mix {
  std::string_view name;
  double read_fraction;
};
constexpr Mix kMixes[] = {{"get", 1.0}, {"a", 0.5}, {"b", 0.95}, {"c", 1.0}};

constexpr uint64_t kProgressBatch = 64;

struct MixOutput {
  LatencyHistogram all, read, update;
  uint64_t reads = 0, updates = 0, found = 0, not_found = 0, siblings = 0;
};

struct MixRun {
  double seconds = 0;
  MixOutput total;
};

// `ops` operations split over the workers; each a read (a get) or an update (a get, then a put
// with its context), of a key `chooser` picks.
Result<MixRun> RunMix(NodeTarget& target, const NetBenchOptions& options, const Mix& mix,
                      const WorkloadKeys& keys, const KeyChooser& chooser, OpsProgress& progress) {
  const auto workers = static_cast<uint64_t>(options.concurrency);
  const uint64_t total = options.num;
  std::vector<MixOutput> outputs(options.concurrency);
  FirstError error;
  const ReadOptions read{.r = options.r};
  const Pacer pacer(options.rate, options.concurrency);
  Clock::time_point started;  // set before the workers start

  auto work = [&](int worker) {
    MixOutput& out = outputs[worker];
    Client& client = target.client(worker);
    IndexSequence random((options.seed + 1) * 1000003 + static_cast<uint64_t>(worker));
    std::string key;
    uint64_t unreported = 0;
    const uint64_t begin = total * worker / workers, end = total * (worker + 1) / workers;
    for (uint64_t op = begin; op < end && !error.failed(); ++op) {
      const bool is_read = mix.read_fraction >= 1.0 || random.NextUnit() < mix.read_fraction;
      keys.KeyAt(chooser.Next(random), &key);
      const auto start = pacer.Wait(started, worker, op - begin);
      Result<GetResult> got = client.Get(key, read);
      if (!got.ok()) {
        error.Set(got.status().WithContext(fmt::format("reading key {}", key)));
        break;
      }
      ++(got->found() ? out.found : out.not_found);
      if (got->siblings.size() > 1) ++out.siblings;
      if (!is_read) {
        Status s = client.Put(key, keys.ValueFor(op),
                              WriteOptions{.context = std::move(got->context), .w = options.w});
        if (!s.ok()) {
          error.Set(s.WithContext(fmt::format("updating key {}", key)));
          break;
        }
      }
      const auto nanos = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
      out.all.Record(nanos);
      if (is_read) {
        out.read.Record(nanos);
        ++out.reads;
      } else {
        out.update.Record(nanos);
        ++out.updates;
      }
      if (++unreported == kProgressBatch) {
        progress.Add(unreported);
        unreported = 0;
      }
    }
    progress.Add(unreported);
  };

  progress.Start(std::string(mix.name), total);
  started = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(options.concurrency);
  for (int w = 0; w < options.concurrency; ++w) threads.emplace_back(work, w);
  for (auto& t : threads) t.join();
  const auto finished = Clock::now();
  progress.Stop();
  if (error.failed()) return error.status();

  MixRun run;
  run.seconds = std::chrono::duration<double>(finished - started).count();
  for (const MixOutput& o : outputs) {
    run.total.all.Merge(o.all);
    run.total.read.Merge(o.read);
    run.total.update.Merge(o.update);
    run.total.reads += o.reads;
    run.total.updates += o.updates;
    run.total.found += o.found;
    run.total.not_found += o.not_found;
    run.total.siblings += o.siblings;
  }
  return run;
}

}  // namespace

Result<BenchReport> RunNetBench(const NetBenchOptions& options) {
  const Mix* mix = nullptr;
  for (const Mix& m : kMixes) {
    if (m.name == options.workload) mix = &m;
  }
  if (mix == nullptr && options.workload != "put") {
    return Status::InvalidArgument(fmt::format(
        "unknown net workload '{}': use put, get, a, b or c (engine workloads need `kvbench "
        "engine`)",
        options.workload));
  }
  if (options.concurrency < 1) return Status::InvalidArgument("--concurrency must be at least 1");
  if (!(options.rate >= 0)) return Status::InvalidArgument("--rate must be 0 or more");
  KV_ASSIGN_OR_RETURN(KeyDistribution distribution, ParseKeyDistribution(options.distribution));
  const uint64_t key_space = options.keys > 0 ? options.keys : options.num;
  KV_ASSIGN_OR_RETURN(
      auto keys, WorkloadKeys::Make(key_space, options.key_size, options.value_size, options.seed));

  // Connect every worker first, so an unreachable node fails before the clock starts.
  ClientOptions client_options;
  client_options.timeout = options.timeout;
  client_options.cluster_name = options.cluster_name;
  client_options.tls = options.tls;
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
  NodeTarget target(std::move(clients), ReadOptions{.r = options.r}, options.w);

  BenchReport report;
  report.system = "kv";
  report.workload = options.workload;
  report.workers_name = "concurrency";
  report.workers = options.concurrency;
  if (options.rate > 0) report.target_rate = options.rate;

  // The servers' CPU time around the measured operations only (not a --load phase).
  auto server_cpu = [&](const ServerCpuSample& before) {
    const ServerCpu cpu =
        ServerCpuPerOp(before, SampleServerCpu(options.node, client_options), report.ops);
    report.server_cpu_us_per_op = cpu.micros_per_op;
    report.server_cpu_nodes = cpu.nodes;
    report.server_cpu_note = cpu.note;
  };

  OpsProgress progress(options.progress);
  if (mix == nullptr || options.load) {
    // The load phase of a, b and c is never paced; a put run is.
    RunSpec spec{Workload::kPut, key_space, options.concurrency, options.seed + 1,
                 mix == nullptr ? options.rate : 0};
    const ServerCpuSample cpu_before =
        mix == nullptr ? SampleServerCpu(options.node, client_options) : ServerCpuSample{};
    KV_ASSIGN_OR_RETURN(RunResult run, RunWorkload(target, keys, spec, progress));
    if (mix == nullptr) {
      report.ops = run.ops;
      report.seconds = run.seconds;
      report.latency = run.latency;
      server_cpu(cpu_before);
      return report;
    }
    report.load_ops = run.ops;
    report.load_seconds = run.seconds;
  }

  const KeyChooser chooser(distribution, key_space);
  const ServerCpuSample cpu_before = SampleServerCpu(options.node, client_options);
  KV_ASSIGN_OR_RETURN(MixRun run, RunMix(target, options, *mix, keys, chooser, progress));
  report.ops = options.num;
  report.seconds = run.seconds;
  report.latency = run.total.all;
  report.is_read = true;
  report.found = run.total.found;
  report.not_found = run.total.not_found;
  report.siblings = run.total.siblings;
  report.distribution = std::string(KeyDistributionName(distribution));
  if (mix->name != "get") {
    report.op_types.push_back({"read", run.total.reads, run.total.read});
    report.op_types.push_back({"update", run.total.updates, run.total.update});
  }
  server_cpu(cpu_before);
  return report;
}

}  // namespace kv::bench
