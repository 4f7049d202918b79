#include "tools/kvbench/engine_target.h"

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "libkv/storage/block_codec.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "libkv/node/memory_budget.h"

namespace kv::bench {

namespace {

class EngineTarget final : public BenchTarget {
 public:
  EngineTarget(std::unique_ptr<Engine> engine, bool print_slowdown)
      : engine_(std::move(engine)), print_slowdown_(print_slowdown) {}
  ~EngineTarget() override {
    Status s = engine_->Close();
    if (!s.ok()) spdlog::error("closing the engine: {}", s.ToString());
    if (!print_slowdown_) return;
    // On stderr, so that stdout holds just the report: what the write slow-down did.
    const EngineStats st = engine_->stats();
    fmt::print(stderr,
               "engine: writes slowed {} times ({} ms in all), stopped {} times ({} ms); memtables "
               "peaked at {} MiB; {} tables, index and filters {} MiB\n",
               st.write_delays, st.write_delay_micros / 1000, st.write_stalls,
               st.write_stall_micros / 1000, st.memtable_memory_peak >> 20, st.tables,
               st.table_index_memory >> 20);
  }

  Status Put(int, std::string_view key, std::string_view value) override {
    return engine_->Put(key, value);
  }
  Result<bool> Get(int, std::string_view key) override {
    KV_ASSIGN_OR_RETURN(auto value, engine_->Get(key));
    return value.has_value();
  }
  Status CompactAll() override { return engine_->CompactAll(); }
  std::optional<std::pair<uint64_t, uint64_t>> CacheLookups() override {
    const BlockCacheStats c = engine_->stats().block_cache;
    return std::pair{c.hits, c.misses};
  }

 private:
  std::unique_ptr<Engine> engine_;
  const bool print_slowdown_;
};

}  // namespace

Result<OpenedTarget> OpenKvEngine(const std::string& dir, bool sync_every_write,
                                  std::optional<SyncMode> sync, const EngineBenchOptions& bench,
                                  std::optional<size_t> memory_budget) {
  EngineOptions options;
  options.env = PosixEnv();
  options.dir = dir;
  options.sync = sync.value_or(sync_every_write ? SyncMode::kBatch : SyncMode::kOff);
  options.table.bloom_bits_per_key = bench.bloom_bits;
  KV_ASSIGN_OR_RETURN(options.table.compression, ParseBlockCodec(bench.compression));
  options.block_cache_bytes = bench.cache_bytes;
  if (memory_budget) {  // as kvnode: the budget sets memtables and the block cache
    KV_RETURN_IF_ERROR(CheckMemoryBudget(*memory_budget));
    ApplyMemoryBudget(SplitMemoryBudget(*memory_budget), &options);
  }
  // Engine logs go to stderr, warnings and worse only, so that stdout holds just the report.
  auto logger =
      std::make_shared<spdlog::logger>("engine", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::warn);
  options.logger = logger;
  KV_ASSIGN_OR_RETURN(auto engine, Engine::Open(std::move(options)));
  std::string sync_name(
      SyncModeName(sync.value_or(sync_every_write ? SyncMode::kBatch : SyncMode::kOff)));
  return OpenedTarget{std::make_unique<EngineTarget>(std::move(engine), memory_budget.has_value()),
                      sync_name};
}

}  // namespace kv::bench
