// kvbench-peers: the engine workloads of `kvbench engine`, run against LevelDB or RocksDB with the
// same keys, values, threads, sync rule and report, for docs/benchmarks.md.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "bench/peer_targets.h"
#include "tools/kvbench/engine_bench.h"
#include "tools/kvbench/engine_flags.h"
#include "tools/kvbench/ops_progress.h"

int main(int argc, char** argv) {
  using namespace kv::bench;
  CLI::App app{"Run kvbench's engine workloads against LevelDB or RocksDB", "kvbench-peers"};
  app.set_version_flag("--version", std::string("kvbench-peers ") + KV_VERSION);
  std::string db;
  EngineBenchOptions options;
  bool json = false;
  app.add_option("--db", db, "The system to run")
      ->required()
      ->check(CLI::IsMember({"leveldb", "rocksdb"}))
      ->type_name("DB");
  AddEngineFlags(app, options, json);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  options.progress = OpsProgress::StderrIsTerminal();

  OpenTargetFn open = [&](const std::string& dir, bool sync) {
    return db == "leveldb" ? OpenLevelDb(dir, sync, options) : OpenRocksDb(dir, sync, options);
  };
  auto report = RunEngineBench(options, db, open);
  if (!report.ok()) {
    std::fprintf(stderr, "kvbench-peers: %s\n", report.status().ToString().c_str());
    return ExitCodeFor(report.status());
  }
  std::fputs(json ? (FormatJson(*report) + "\n").c_str() : FormatHuman(*report).c_str(), stdout);
  kv::Status verified = VerifyReads(*report);
  if (!verified.ok()) {
    std::fprintf(stderr, "kvbench-peers: %s\n", verified.ToString().c_str());
    return ExitCodeFor(verified);
  }
  return 0;
}
