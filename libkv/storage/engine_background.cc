// The engine's background threads: one flushes immutable memtables (oldest first), one compacts,
// and in sync mode periodic one fsyncs the commit log every sync_period. Each table-set change
// is made durable in a new manifest before it is published to readers, and files it made
// obsolete (the flushed log, the compaction inputs) are removed only after that.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "libkv/storage/data_dir.h"
#include "libkv/storage/engine_impl.h"
#include "libkv/storage/flush.h"
#include "libkv/storage/manifest.h"

namespace kv {

void EngineImpl::HandleBackgroundError(const Status& s, std::string_view what) {
  // REQUIRES: mu_ held. A failed file operation stops writes (DESIGN.md, "Files"); damaged
  // input only stops compaction, so the node keeps serving what it can.
  if (shutting_down_ || cancel_background_) return;  // work cut short by the destructor
  if (s.Is(ErrorCode::kCorruption)) {
    logger_->error("storage engine {}: {} failed: {}; compaction is off until restart", dir_, what,
                   s.message());
    if (compaction_error_.ok()) compaction_error_ = s;
  } else {
    (void)SetWriteErrorLocked(s.WithContext(what));
  }
  progress_cv_.notify_all();
}

Status EngineImpl::WriteManifestFor(const TableSet& tables, uint64_t log_number) {
  ManifestState state;
  uint64_t number;
  {
    std::lock_guard lock(mu_);
    number = next_file_++;
    state.next_file = next_file_;
    state.last_sequence = visible_seq_;
  }
  state.log_number = log_number;
  for (size_t r = 0; r < tables.runs.size(); r++) {
    for (const auto& t : tables.runs[r]->tables) {
      state.tables.push_back(t->meta);
      state.tables.back().run = static_cast<uint32_t>(r);
    }
  }
  KV_RETURN_IF_ERROR(WriteManifest(env_, dir_, state, number, manifest_number_));
  manifest_number_ = number;
  manifest_log_number_ = log_number;
  return Status::Ok();
}

void EngineImpl::FlushLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    flush_cv_.wait(lock, [&] { return shutting_down_ || (!imms_.empty() && write_error_.ok()); });
    if (shutting_down_) return;
    std::shared_ptr<MemTable> imm = imms_.back();
    const uint64_t number = next_file_++;
    lock.unlock();
    Status s = FlushOldestImmutable(std::move(imm), number);
    lock.lock();
    if (!s.ok()) HandleBackgroundError(s, "flushing a memtable");
    progress_cv_.notify_all();
  }
}

Status EngineImpl::FlushOldestImmutable(std::shared_ptr<MemTable> imm, uint64_t number) {
  const TableBuildSpec spec = BuildSpec(number, 0);
  KV_ASSIGN_OR_RETURN(LiveTable table, FlushMemTable(spec, *imm));
  std::lock_guard manifest_lock(manifest_mu_);
  TableSet next;
  uint64_t log_number;
  {
    std::lock_guard lock(mu_);
    auto run = std::make_shared<SortedRun>();
    run->tables.push_back(std::make_shared<const LiveTable>(std::move(table)));
    next.runs.push_back(std::move(run));
    next.runs.insert(next.runs.end(), tables_->runs.begin(), tables_->runs.end());
    // The oldest log still needed is the next memtable's.
    log_number = imms_.size() >= 2 ? imms_[imms_.size() - 2]->log_number() : mem_->log_number();
  }
  KV_RETURN_IF_ERROR(WriteManifestFor(next, log_number));
  {
    std::lock_guard lock(mu_);
    tables_ = std::make_shared<const TableSet>(std::move(next));
    imm_content_ -= imm->ApproximateBytes();
    imm_memory_ -= imm->MemoryUsage();
    imms_.pop_back();
    PublishViewLocked();
    compaction_wanted_ = true;
    compaction_cv_.notify_one();
  }
  flushes_.fetch_add(1, std::memory_order_relaxed);
  Status s = env_->RemoveFile(LogFileName(dir_, imm->log_number()));
  if (!s.ok() && !s.Is(ErrorCode::kNotFound)) return s;
  return Status::Ok();
}

void EngineImpl::CompactionLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    compaction_cv_.wait(lock, [&] {
      return shutting_down_ || compaction_wanted_ || rewrite_ != nullptr ||
             full_compactions_requested_ > full_compactions_done_;
    });
    if (shutting_down_) return;
    if (rewrite_ != nullptr) {
      RewriteJob* job = rewrite_;
      job->taken = true;
      lock.unlock();
      Result<RewriteFigures> result = RunRewrite(*job);
      lock.lock();
      if (!result.ok() && !job->stopped_by_check)
        HandleBackgroundError(result.status(), "rewriting tables");
      job->result = std::move(result);
      job->done = true;
      rewrite_ = nullptr;
      compaction_wanted_ = true;  // the triggers may fire on the new set
      progress_cv_.notify_all();
      continue;
    }
    const bool full = full_compactions_requested_ > full_compactions_done_;
    const uint64_t target = full_compactions_requested_;
    compaction_wanted_ = false;
    while (write_error_.ok() && compaction_error_.ok() && !shutting_down_) {
      std::shared_ptr<const TableSet> tables = tables_;
      lock.unlock();
      auto pick = full ? PickFullCompaction(*tables, options_.value_is_obsolete != nullptr)
                       : PickCompaction(*tables);
      Status s;
      if (pick) s = CompactOnce(*pick);
      lock.lock();
      if (!s.ok()) HandleBackgroundError(s, "compaction");
      progress_cv_.notify_all();  // writers stopped at the run limit re-check
      // A full compaction is one merge of everything; automatic ones go on while the
      // triggers still fire, and make way for a rewrite.
      if (!pick || full || rewrite_ != nullptr) break;
    }
    if (full) full_compactions_done_ = target;
    progress_cv_.notify_all();
  }
}

TableBuildSpec EngineImpl::CompactionSpec(const CompactionPick& pick) const {
  uint32_t level = 0;
  for (const auto& run : pick.inputs)
    for (const auto& t : run->tables) level = std::max(level, t->meta.level + 1);
  return BuildSpec(0, level);
}

Status EngineImpl::CompactOnce(const CompactionPick& pick) {
  auto new_number = [this] {
    std::lock_guard lock(mu_);
    return next_file_++;
  };
  KV_ASSIGN_OR_RETURN(CompactionOutput output,
                      RunCompaction(pick, CompactionSpec(pick), options_.can_purge_tombstone,
                                    new_number, options_.value_is_obsolete));
  return InstallCompaction(pick, output, nullptr);
}

Status EngineImpl::InstallCompaction(const CompactionPick& pick, const CompactionOutput& output,
                                     const std::function<Status()>& last_check) {
  {
    std::lock_guard manifest_lock(manifest_mu_);
    if (last_check) KV_RETURN_IF_ERROR(last_check());
    std::shared_ptr<const TableSet> current;
    {
      std::lock_guard lock(mu_);
      current = tables_;
    }
    KV_ASSIGN_OR_RETURN(TableSet next, ReplaceRuns(*current, pick, output.run));
    KV_RETURN_IF_ERROR(WriteManifestFor(next, manifest_log_number_));
    std::lock_guard lock(mu_);
    tables_ = std::make_shared<const TableSet>(std::move(next));
    PublishViewLocked();
  }
  compactions_.fetch_add(1, std::memory_order_relaxed);
  if (output.moved) return Status::Ok();  // the input tables live on in the output run
  // Readers that still hold the inputs keep reading them through their open files.
  for (const auto& run : pick.inputs) {
    for (const auto& t : run->tables) {
      Status s = env_->RemoveFile(TableFileName(dir_, t->meta.number));
      if (!s.ok() && !s.Is(ErrorCode::kNotFound)) return s;
    }
  }
  return Status::Ok();
}

void EngineImpl::SyncLoop() {
  std::unique_lock lock(mu_);
  while (!shutting_down_) {
    sync_cv_.wait_for(lock, options_.sync_period);
    if (shutting_down_ || !write_error_.ok()) continue;
    std::shared_ptr<CommitLogWriter> log = log_;
    const uint64_t pending = unsynced_records_;
    unsynced_records_ = 0;
    lock.unlock();
    Status s = log->Sync();
    lock.lock();
    if (!s.ok()) {
      (void)SetWriteErrorLocked(s.WithContext("periodic commit log sync failed"));
    } else if (pending > 0) {
      log_syncs_.fetch_add(1, std::memory_order_relaxed);
      log_records_.fetch_add(pending, std::memory_order_relaxed);
    }
  }
}

}  // namespace kv
