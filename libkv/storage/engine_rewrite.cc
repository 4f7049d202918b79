// RewriteTables: a full compaction that also drops the keys a caller no longer wants (cleanup's
// rewrite, libkv/replication/cleanup.h). The caller hands a RewriteJob to the compaction thread,
// so it never runs beside another compaction (ReplaceRuns needs its inputs still adjacent), and
// the result is installed as a compaction's is: new tables named by a new manifest, then the old
// tables deleted. A crash before the manifest leaves the old set (the new files are removed at
// Open as obsolete), after it the new one.
#include <spdlog/spdlog.h>

#include "libkv/storage/data_dir.h"
#include "libkv/storage/engine_impl.h"

namespace kv {

namespace {

// Keys between two calls of the rewrite's check (and two progress updates): a ring check costs a
// view copy and a ring comparison; a few thousand keys are read in a millisecond or so.
constexpr uint64_t kKeysPerCheck = 4096;

void Publish(const RewriteFigures& figures, RewriteProgress* progress) {
  if (progress == nullptr) return;
  progress->keys_scanned.store(figures.keys_scanned, std::memory_order_relaxed);
  progress->keys_dropped.store(figures.keys_dropped, std::memory_order_relaxed);
  progress->bytes_dropped.store(figures.bytes_dropped, std::memory_order_relaxed);
}

}  // namespace

Result<RewriteFigures> EngineImpl::RewriteTables(const TableRewrite& rewrite,
                                                 RewriteProgress* progress) {
  if (!rewrite.keep) return Status::InvalidArgument("a table rewrite needs a keep rule");
  KV_RETURN_IF_ERROR(Flush());
  RewriteJob job{.rewrite = &rewrite, .progress = progress};
  std::unique_lock lock(mu_);
  progress_cv_.wait(lock, [&] { return rewrite_ == nullptr || shutting_down_; });
  if (shutting_down_) return Status::Unavailable("the engine is shutting down");
  rewrite_ = &job;
  compaction_cv_.notify_one();
  // Once taken, the job is the compaction thread's until done, even through a shutdown.
  progress_cv_.wait(lock, [&] { return job.done || (shutting_down_ && !job.taken); });
  if (!job.done) {
    rewrite_ = nullptr;
    return Status::Unavailable("the engine is shutting down");
  }
  return std::move(job.result);
}

Result<RewriteFigures> EngineImpl::RunRewrite(RewriteJob& job) {
  const TableRewrite& rewrite = *job.rewrite;
  std::shared_ptr<const TableSet> tables;
  {
    std::lock_guard lock(mu_);
    if (!write_error_.ok()) return write_error_;
    if (!compaction_error_.ok()) return compaction_error_;
    tables = tables_;
  }
  RewriteFigures figures;
  std::optional<CompactionPick> pick = PickFullCompaction(*tables, /*filtering=*/true);
  if (!pick) return figures;  // no table: nothing to drop
  figures.table_bytes_before = tables->total_bytes();

  // The build stops at a failed check or a shutdown; the check's error is the result.
  std::atomic<bool> stop{false};
  Status check_failed;
  auto check = [&] {
    if (!rewrite.check) return Status::Ok();
    Status s = rewrite.check();
    if (!s.ok()) {
      check_failed = s;
      job.stopped_by_check = true;
    }
    return s;
  };
  uint64_t keys = 0;
  KeepKey keep_key = [&](const EntryView& newest) {
    if (cancel_background_.load(std::memory_order_relaxed)) stop = true;
    if (++keys % kKeysPerCheck == 0 && !stop) {
      if (!check().ok()) stop = true;
      Publish(figures, job.progress);
    }
    const bool keep = rewrite.keep(newest.key);
    if (newest.kind == EntryKind::kValue) {
      figures.keys_scanned++;
      if (!keep) {
        figures.keys_dropped++;
        figures.bytes_dropped += newest.key.size() + newest.value.size();
      }
    }
    return keep;
  };
  // Every number handed out, so that a rewrite given up leaves no table of its own behind.
  std::vector<uint64_t> numbers;
  auto new_number = [&] {
    std::lock_guard lock(mu_);
    numbers.push_back(next_file_);
    return next_file_++;
  };
  auto remove_outputs = [&] {
    for (uint64_t n : numbers) (void)env_->RemoveFile(TableFileName(dir_, n));
  };
  TableBuildSpec spec = CompactionSpec(*pick);
  spec.cancel = &stop;
  Result<CompactionOutput> output = RunCompaction(*pick, spec, options_.can_purge_tombstone,
                                                  new_number, options_.value_is_obsolete, keep_key);
  if (!check_failed.ok()) {
    remove_outputs();
    return check_failed;
  }
  if (!output.ok()) {
    remove_outputs();
    return output.status();
  }
  figures.table_bytes_after = output->run.bytes();
  Publish(figures, job.progress);
  Status installed = InstallCompaction(*pick, *output, check);
  if (!installed.ok()) {
    // Past a failed check nothing names the new tables; past a failed manifest write the next
    // Open removes what no manifest names.
    if (!check_failed.ok()) {
      remove_outputs();
      return check_failed;
    }
    return installed;
  }
  logger_->info(
      "storage engine {}: tables rewritten, {} of {} keys dropped, {} bytes of tables now {}", dir_,
      figures.keys_dropped, figures.keys_scanned, figures.table_bytes_before,
      figures.table_bytes_after);
  return figures;
}

}  // namespace kv
