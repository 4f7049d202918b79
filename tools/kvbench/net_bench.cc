#include "tools/kvbench/net_bench.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "libkv/client/async_client.h"
#include "tools/kvbench/first_error.h"
#include "tools/kvbench/ops_progress.h"
#include "tools/kvbench/server_cpu.h"
#include "tools/kvbench/workload_keys.h"
#include "tools/kvbench/workload_runner.h"

namespace kv::bench {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// The workers: one coroutine each, with its own connection and one request in flight on it (as
// redis-benchmark -c and wrk -c run), all on one io_context that the calling thread runs. An
// event loop rather than a thread per worker, so that on cores the servers share the load
// generator takes little of them, as the peers' load generators do.
class Fleet {
 public:
  // Connects `count` clients to `node`, one after another, so an unreachable node fails before
  // any clock starts.
  Status Connect(const HostPort& node, const ClientOptions& options, int count) {
    Status failed;
    auto connect_all = [&]() -> asio::awaitable<void> {
      for (int i = 0; i < count; ++i) {
        Result<std::unique_ptr<AsyncClient>> client =
            co_await AsyncClient::Connect(io_.get_executor(), node, options);
        if (!client.ok()) {
          failed = client.status();
          co_return;
        }
        clients_.push_back(std::move(*client));
      }
    };
    std::vector<asio::awaitable<void>> connecting;
    connecting.push_back(connect_all());
    RunUntilDone(std::move(connecting));
    return failed;
  }

  int size() const { return static_cast<int>(clients_.size()); }
  AsyncClient& client(int worker) { return *clients_[worker]; }

  // Runs worker(w) for every worker to its end, all at once.
  void Run(const std::function<asio::awaitable<void>(int)>& worker) {
    std::vector<asio::awaitable<void>> all;
    for (int w = 0; w < size(); ++w) all.push_back(worker(w));
    RunUntilDone(std::move(all));
  }

  // Waits on this fleet's loop until `due` (at once when it has passed).
  static asio::awaitable<void> SleepUntil(Clock::time_point due) {
    if (due <= Clock::now()) co_return;
    asio::steady_timer timer(co_await asio::this_coro::executor, due);
    co_await timer.async_wait(asio::use_awaitable);
  }

 private:
  // Runs the loop until every one of `coroutines` has ended. Not until the loop runs out of
  // work: the connections' read loops never end while they are open.
  void RunUntilDone(std::vector<asio::awaitable<void>> coroutines) {
    size_t running = coroutines.size();
    std::exception_ptr failure;
    for (auto& coroutine : coroutines) {
      asio::co_spawn(io_, std::move(coroutine), [&](std::exception_ptr e) {
        if (e && !failure) failure = e;
        if (--running == 0) io_.stop();
      });
    }
    if (running > 0) io_.run();
    io_.restart();
    if (failure) std::rethrow_exception(failure);
  }

  asio::io_context io_{1};  // run by the calling thread only
  std::vector<std::unique_ptr<AsyncClient>> clients_;
};

constexpr uint64_t kProgressBatch = 64;

struct PutRun {
  double seconds = 0;
  LatencyHistogram latency;
};

// Writes every key of `keys` once, blind, in a seeded random order, split over the workers.
Result<PutRun> RunPuts(Fleet& fleet, const WorkloadKeys& keys, double rate, uint32_t w,
                       OpsProgress& progress) {
  const auto workers = static_cast<uint64_t>(fleet.size());
  const uint64_t total = keys.num();
  const std::vector<uint64_t> order = keys.RandomOrder();
  std::vector<LatencyHistogram> latencies(fleet.size());
  FirstError error;
  const Pacer pacer(rate, fleet.size());
  Clock::time_point started;

  auto work = [&](int worker) -> asio::awaitable<void> {
    AsyncClient& client = fleet.client(worker);
    uint64_t unreported = 0;
    const uint64_t begin = total * worker / workers, end = total * (worker + 1) / workers;
    for (uint64_t op = begin; op < end && !error.failed(); ++op) {
      std::string key;
      keys.KeyAt(order[op], &key);
      std::string value(keys.ValueFor(op));
      const Clock::time_point start = pacer.Due(started, worker, op - begin);
      co_await Fleet::SleepUntil(start);
      WriteOptions options{.context = {}, .w = w};
      Status s = co_await client.Put(key, std::move(value), std::move(options));
      if (!s.ok()) {
        error.Set(s.WithContext(fmt::format("writing key {}", key)));
        break;
      }
      latencies[worker].Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
      if (++unreported == kProgressBatch) {
        progress.Add(unreported);
        unreported = 0;
      }
    }
    progress.Add(unreported);
  };

  progress.Start("put", total);
  started = Clock::now();
  fleet.Run(work);
  PutRun run;
  run.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  progress.Stop();
  if (error.failed()) return error.status();
  for (const LatencyHistogram& l : latencies) run.latency.Merge(l);
  return run;
}

// The share of reads of each YCSB-style workload; the rest are updates.
struct Mix {
  std::string_view name;
  double read_fraction;
};
constexpr Mix kMixes[] = {{"get", 1.0}, {"a", 0.5}, {"b", 0.95}, {"c", 1.0}};

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
Result<MixRun> RunMix(Fleet& fleet, const NetBenchOptions& options, const Mix& mix,
                      const WorkloadKeys& keys, const KeyChooser& chooser, OpsProgress& progress) {
  const auto workers = static_cast<uint64_t>(fleet.size());
  const uint64_t total = options.num;
  std::vector<MixOutput> outputs(fleet.size());
  FirstError error;
  const Pacer pacer(options.rate, fleet.size());
  Clock::time_point started;  // set before the workers start

  auto work = [&](int worker) -> asio::awaitable<void> {
    MixOutput& out = outputs[worker];
    AsyncClient& client = fleet.client(worker);
    IndexSequence random((options.seed + 1) * 1000003 + static_cast<uint64_t>(worker));
    uint64_t unreported = 0;
    const uint64_t begin = total * worker / workers, end = total * (worker + 1) / workers;
    for (uint64_t op = begin; op < end && !error.failed(); ++op) {
      const bool is_read = mix.read_fraction >= 1.0 || random.NextUnit() < mix.read_fraction;
      std::string key;
      keys.KeyAt(chooser.Next(random), &key);
      const Clock::time_point start = pacer.Due(started, worker, op - begin);
      co_await Fleet::SleepUntil(start);
      ReadOptions read{.r = options.r};
      Result<GetResult> got = co_await client.Get(key, read);
      if (!got.ok()) {
        error.Set(got.status().WithContext(fmt::format("reading key {}", key)));
        break;
      }
      ++(got->found() ? out.found : out.not_found);
      if (got->siblings.size() > 1) ++out.siblings;
      if (!is_read) {
        std::string value(keys.ValueFor(op));
        WriteOptions write{.context = std::move(got->context), .w = options.w};
        Status s = co_await client.Put(key, std::move(value), std::move(write));
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
  fleet.Run(work);
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
  Fleet fleet;
  if (Status connected = fleet.Connect(options.node, client_options, options.concurrency);
      !connected.ok())
    return connected.WithContext(
        fmt::format("connecting to {}:{}", options.node.host, options.node.port));

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
    const ServerCpuSample cpu_before =
        mix == nullptr ? SampleServerCpu(options.node, client_options) : ServerCpuSample{};
    KV_ASSIGN_OR_RETURN(
        PutRun run, RunPuts(fleet, keys, mix == nullptr ? options.rate : 0, options.w, progress));
    if (mix == nullptr) {
      report.ops = keys.num();
      report.seconds = run.seconds;
      report.latency = run.latency;
      server_cpu(cpu_before);
      return report;
    }
    report.load_ops = keys.num();
    report.load_seconds = run.seconds;
  }

  const KeyChooser chooser(distribution, key_space);
  const ServerCpuSample cpu_before = SampleServerCpu(options.node, client_options);
  KV_ASSIGN_OR_RETURN(MixRun run, RunMix(fleet, options, *mix, keys, chooser, progress));
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
