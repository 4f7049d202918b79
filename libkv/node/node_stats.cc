// NodeService's stats and cleanup: the answers to StatsRequest and CleanupRequest, the cleanup.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <chrono>

#include "libkv/async/run_on_pool.h"
#include "libkv/node/node_service.h"
#include "libkv/storage/block_codec.h"

namespace kv {

namespace asio = boost::asio;

namespace {

uint64_t Micros(const timeval& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1000000 + static_cast<uint64_t>(t.tv_usec);
}

}  // namespace

Result<CleanupResponse> NodeService::AnswerCleanup(const CleanupRequest& request) {
  std::shared_ptr<Cleanup> started;
  {
    std::lock_guard lock(mu_);
    if (!request.status_only && cleanup_.state != "running" && !stop_.stopped()) {
      KV_RETURN_IF_ERROR(gossiper_->CheckSettled(ring_delay_));
      Gossiper* gossiper = gossiper_.get();
      KV_ASSIGN_OR_RETURN(std::unique_ptr<Cleanup> cleanup,
                          Cleanup::Start(
                              parts_.engine, [gossiper] { return gossiper->view(); }, quorum_.n,
                              [this] { return stop_.stopped(); }));
      started = std::move(cleanup);
      cleanup_ = CleanupProgress{.state = "running",
                                 .figures = {},
                                 .running = started,
                                 .start = std::chrono::steady_clock::now(),
                                 .end = {},
                                 .error = {}};
      parts_.logger->info(
          "cleanup: rewriting the tables without the keys this node no longer "
          "replicates");
    }
  }
  // Not under mu_: the coroutine may start right here, and it takes mu_.
  if (started) asio::co_spawn(executor_, RunCleanup(std::move(started)), asio::detached);
  std::lock_guard lock(mu_);
  const CleanupFigures figures = cleanup_.running ? cleanup_.running->progress() : cleanup_.figures;
  CleanupResponse out{.state = cleanup_.state,
                      .keys_scanned = figures.keys_scanned,
                      .keys_removed = figures.keys_removed,
                      .bytes_removed = figures.bytes_removed,
                      .seconds = 0,
                      .error = cleanup_.error,
                      .table_bytes_before = figures.table_bytes_before,
                      .table_bytes_after = figures.table_bytes_after};
  if (cleanup_.start != std::chrono::steady_clock::time_point()) {
    const auto end = cleanup_.state == "running" ? std::chrono::steady_clock::now() : cleanup_.end;
    out.seconds = std::chrono::duration<double>(end - cleanup_.start).count();
  }
  return out;
}

asio::awaitable<void> NodeService::RunCleanup(std::shared_ptr<Cleanup> cleanup) {
  // One blocking call on the engine pool: the rewrite runs on the engine's compaction thread, and
  // a stop of the node is heard by the cleanup's own checks.
  // The call bound to a local first: g++ 12 mishandles a temporary with a destructor (this
  // lambda's shared_ptr) inside a co_await expression, and frees the cleanup twice.
  auto run = [cleanup] { return cleanup->Run(); };
  Result<CleanupFigures> done = co_await RunOnPool(*parts_.engine_pool, std::move(run));
  std::lock_guard lock(mu_);
  cleanup_.running.reset();
  cleanup_.state = done.ok() ? "done" : "failed";
  cleanup_.error = done.ok() ? std::string() : done.status().message();
  // A cleanup that failed removed nothing.
  cleanup_.figures = done.ok() ? *done : CleanupFigures{};
  if (!done.ok()) cleanup_.figures.keys_scanned = cleanup->progress().keys_scanned;
  cleanup_.end = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(cleanup_.end - cleanup_.start).count();
  const CleanupFigures& f = cleanup_.figures;
  if (done.ok())
    parts_.logger->info(
        "cleanup: {} keys scanned, {} removed ({} bytes), tables {} bytes now {}, in {:.1f} s",
        f.keys_scanned, f.keys_removed, f.bytes_removed, f.table_bytes_before, f.table_bytes_after,
        seconds);
  else
    parts_.logger->warn("cleanup stopped after {} keys scanned, nothing removed: {}",
                        f.keys_scanned, done.status().message());
}

Result<RepairStatusResponse> NodeService::AnswerRepairStatus() const {
  const TombstoneGc* gc = parts_.tombstone_gc.get();
  if (gc == nullptr)
    return Status::Unavailable("this node keeps no repair records (it runs without tombstone GC)");
  RepairStatusResponse out;
  out.id = identity_.id;
  out.now_micros = WallMicros();
  out.grace_seconds = static_cast<uint64_t>(gc->grace().count());
  for (const TokenRange& range : anti_entropy_->Ranges()) {
    const TombstoneGc::RangeState state = gc->StateOf(range);
    out.ranges.push_back(
        RangeRepairStatus{.start = range.start,
                          .end = range.end,
                          .last_complete_repair_micros = state.last_complete_repair_micros,
                          .purge_allowed = state.purge_written_by_micros.has_value(),
                          .purge_written_by_micros = state.purge_written_by_micros.value_or(0)});
  }
  return out;
}

StatsResponse NodeService::AnswerStats() const {
  const EngineStats e = parts_.engine->stats();
  // RUSAGE_SELF cannot fail given a valid pointer; were it to, the CPU times would read 0.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  StatsResponse out{
      .id = identity_.id,
      .uptime_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - created_).count(),
      .memory_budget = budget_.total,
      .memtable_share = budget_.memtable_share,
      .connection_share = budget_.connection_bytes,
      .compression = std::string(BlockCodecName(compression_)),
      .memtable_memory = e.memtable_memory,
      .memtable_memory_peak = e.memtable_memory_peak,
      .immutable_memtables = e.immutable_memtables,
      .tables = e.tables,
      .table_bytes = e.table_bytes,
      .table_index_memory = e.table_index_memory,
      .flushes = e.flushes,
      .compactions = e.compactions,
      .log_syncs = e.log_syncs,
      .log_records = e.log_records,
      .bloom_skips = e.bloom_skips,
      .bloom_false_positives = e.bloom_false_positives,
      .block_cache_capacity = e.block_cache.capacity_bytes,
      .block_cache_bytes = e.block_cache.block_bytes,
      .block_cache_pinned = e.block_cache.pinned_bytes,
      .block_cache_hits = e.block_cache.hits,
      .block_cache_misses = e.block_cache.misses,
      .write_delays = e.write_delays,
      .write_delay_micros = e.write_delay_micros,
      .write_stalls = e.write_stalls,
      .write_stall_micros = e.write_stall_micros,
      .tombstones_purged = parts_.tombstone_gc ? parts_.tombstone_gc->purged() : 0,
      .hints_held = 0,
      .hint_bytes = 0,
      .connection_waits = parts_.connection_waits ? parts_.connection_waits() : 0,
      .cpu_user_micros = Micros(usage.ru_utime),
      .cpu_system_micros = Micros(usage.ru_stime),
      .merkle_cache_share = budget_.merkle_cache_bytes,
      .merkle_cache_bytes = anti_entropy_->tree_cache().bytes,
  };
  for (const auto& [target, backlog] : hints_->PendingCounts()) {
    out.hints_held += backlog.hints;
    out.hint_bytes += backlog.bytes;
  }
  return out;
}

}  // namespace kv
