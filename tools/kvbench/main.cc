// kvbench: load generator. `kvbench engine` runs a workload on kv's storage engine in a
// directory (like LevelDB's db_bench); `kvbench net` runs puts, gets or the YCSB-style workloads
// a, b, c against a node (tools/kvbench/net_bench.h); `kvbench gossip` measures gossip
// convergence, failure detection and gossip bytes on simulated clusters of growing size
// (tools/kvbench/gossip_bench.h).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "libkv/client/node_address.h"
#include "libkv/storage/engine.h"
#include "tools/common/client_flags.h"
#include "tools/common/command_line.h"
#include "tools/common/size_flag.h"
#include "tools/kvbench/engine_bench.h"
#include "tools/kvbench/engine_flags.h"
#include "tools/kvbench/engine_target.h"
#include "tools/kvbench/gossip_bench.h"
#include "tools/kvbench/net_bench.h"
#include "tools/kvbench/ops_progress.h"

namespace {

int Fail(const kv::Status& status) {
  std::fprintf(stderr, "kvbench: %s\n", status.ToString().c_str());
  return kv::bench::ExitCodeFor(status);
}

int PrintReport(const kv::Result<kv::bench::BenchReport>& report, bool json) {
  if (!report.ok()) return Fail(report.status());
  std::string text = json ? kv::bench::FormatJson(*report) + "\n" : kv::bench::FormatHuman(*report);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  kv::Status verified = kv::bench::VerifyReads(*report);
  return verified.ok() ? 0 : Fail(verified);
}

// Exit 0 with every figure measured; 1 when a phase did not complete within its limit (its
// figure is printed as "-" or null).
int RunGossip(kv::bench::GossipBenchOptions options, bool json) {
  options.progress = kv::bench::OpsProgress::StderrIsTerminal();
  kv::Result<std::vector<kv::bench::GossipBenchRow>> rows = kv::bench::RunGossipBench(options);
  if (!rows.ok()) return Fail(rows.status());
  std::string text;
  if (json) {
    for (const kv::bench::GossipBenchRow& row : *rows)
      text += kv::bench::FormatGossipJson(options, row) + "\n";
  } else {
    text = kv::bench::FormatGossipHuman(options, *rows);
  }
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  for (const kv::bench::GossipBenchRow& row : *rows) {
    if (row.complete()) continue;
    std::fprintf(stderr,
                 "kvbench gossip: at %zu nodes a phase did not complete within 300 rounds: gossip "
                 "did not converge or a stopped node was not convicted\n",
                 row.nodes);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kv::bench;
  CLI::App app{
      "kv load generator: engine benchmarks on a directory; puts, gets and YCSB-style "
      "workloads on a node",
      "kvbench"};
  // kvbench net's credentials; `kvbench net --tls-cert ...` falls through to these (and the
  // --config file's keys reach them on the root).
  kv::tools::ClientFlags client_flags;
  client_flags.timeout_ms = NetBenchOptions().timeout.count();
  kv::tools::AddTlsFlags(app, &client_flags.tls);
  kv::tools::AddClientConfig(app);
  app.require_subcommand(1);

  EngineBenchOptions engine_options;
  bool engine_json = false;
  std::string sync_name;
  CLI::App* engine = app.add_subcommand("engine", "Run a workload on the storage engine in --dir");
  AddEngineFlags(*engine, engine_options, engine_json);
  engine
      ->add_option("--sync", sync_name,
                   "Commit-log sync mode: batch, periodic or off (default: batch for fillsync, off "
                   "for other fills)")
      ->check(CLI::IsMember({"batch", "periodic", "off"}))
      ->type_name("MODE");
  std::optional<uint64_t> memory_budget;
  engine
      ->add_option("--memory-budget", memory_budget,
                   "Size the memtables and block cache as kvnode --memory-budget SIZE does "
                   "(default: the engine's own defaults)")
      ->transform(kv::tools::SizeValue())
      ->type_name("SIZE");

  NetBenchOptions net_options;
  bool net_json = false;
  CLI::App* net =
      app.add_subcommand("net", "Run puts, gets or a YCSB-style workload (a, b, c) against a node");
  net->fallthrough();  // --tls-cert, --tls-key, --tls-ca and --config after `net`
  kv::tools::AddNodeFlags(*net, &client_flags, "Node to load", "Per-request timeout");
  net->add_option("--workload", net_options.workload,
                  "put (load the key space), get (reads), a (50% reads, 50% updates), b (95/5), "
                  "c (100% reads); an update is a get then a put with its context")
      ->required()
      ->check(CLI::IsMember({"put", "get", "a", "b", "c"}))
      ->type_name("WORKLOAD");
  net->add_option("--num", net_options.num,
                  "Operations (put: the keys, written once each, unless a key space is given)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->type_name("N");
  net->add_option("--keys", net_options.keys, "Key space: keys 0..N-1 (default: the --num value)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->type_name("N");
  net->add_option("--distribution", net_options.distribution,
                  "How keys are chosen: uniform, or zipfian (YCSB's scrambled, constant 0.99)")
      ->capture_default_str()
      ->check(CLI::IsMember({"uniform", "zipfian"}))
      ->type_name("DIST");
  net->add_flag("--load", net_options.load,
                "Write every key of the key space first (blind puts, untimed), then run the "
                "workload");
  net->add_option("--r", net_options.r, "Read quorum of every get (default: the node's)")
      ->check(CLI::Range(1, 255))
      ->type_name("N");
  net->add_option("--w", net_options.w, "Write quorum of every put (default: the node's)")
      ->check(CLI::Range(1, 255))
      ->type_name("N");
  net->add_option("--concurrency", net_options.concurrency,
                  "Requests in flight, one connection each")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096))
      ->type_name("C");
  net->add_option("--rate", net_options.rate,
                  "Target operations per second over all workers, paced open-loop (latency from "
                  "when each operation was due); 0: as fast as the node answers")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9))
      ->type_name("OPS");
  net->add_option("--value-size", net_options.value_size, "Value bytes (a SIZE: 100, 4KiB, ...)")
      ->transform(kv::tools::SizeValue())
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{16} << 20))
      ->type_name("SIZE");
  net->add_option("--key-size", net_options.key_size, "Key bytes (a SIZE)")
      ->transform(kv::tools::SizeValue())
      ->capture_default_str()
      ->check(CLI::Range(size_t{2}, size_t{64} << 10))
      ->type_name("SIZE");
  net->add_option("--seed", net_options.seed, "Seed of the key order and values")
      ->capture_default_str()
      ->type_name("SEED");
  net->add_flag("--json", net_json, "Print one JSON object instead of text");

  GossipBenchOptions gossip_options;
  bool gossip_json = false;
  CLI::App* gossip = app.add_subcommand(
      "gossip",
      "Measure gossip convergence, failure detection and gossip bytes on simulated clusters");
  gossip
      ->add_option("--nodes", gossip_options.nodes, "Cluster sizes to simulate, one after another")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(size_t{2}, size_t{4095}))
      ->type_name("N,...");
  gossip
      ->add_option("--gossip-interval-ms", gossip_options.interval_ms,
                   "Time between a node's gossip rounds (kvnode's)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{10}, uint64_t{60000}))
      ->type_name("MS");
  gossip->add_option("--loss", gossip_options.loss, "Probability that a gossip message is lost")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9))
      ->type_name("P");
  gossip->add_option("--samples", gossip_options.samples, "New states whose spread is measured")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000))
      ->type_name("N");
  gossip
      ->add_option("--warmup", gossip_options.warmup_rounds,
                   "Gossip rounds before measuring, so the failure detectors have learnt")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000))
      ->type_name("ROUNDS");
  gossip->add_option("--seed", gossip_options.seed, "Seed of the phases, targets and losses")
      ->capture_default_str()
      ->type_name("SEED");
  gossip->add_flag("--json", gossip_json, "Print one JSON object per cluster size instead of text");

  if (std::optional<int> code = kv::tools::ParseCommandLine(app, argc, argv)) return *code;

  if (gossip->parsed()) return RunGossip(gossip_options, gossip_json);

  if (engine->parsed()) {
    engine_options.progress = OpsProgress::StderrIsTerminal();
    std::optional<kv::SyncMode> sync;
    if (!sync_name.empty()) {
      auto parsed = kv::ParseSyncMode(sync_name);
      if (!parsed.ok()) return Fail(parsed.status());
      sync = *parsed;
    }
    OpenTargetFn open = [&](const std::string& dir, bool sync_every_write) {
      return OpenKvEngine(dir, sync_every_write, sync, engine_options, memory_budget);
    };
    return PrintReport(RunEngineBench(engine_options, "kv", open), engine_json);
  }

  kv::Result<kv::tools::ClientTarget> target = kv::tools::ResolveClientFlags(client_flags);
  if (!target.ok()) return Fail(target.status());
  net_options.node = target->node;
  net_options.timeout = target->options.timeout;
  net_options.cluster_name = target->options.cluster_name;
  net_options.tls = target->options.tls;
  net_options.progress = OpsProgress::StderrIsTerminal();
  return PrintReport(RunNetBench(net_options), net_json);
}
