// Reads, Update, iteration, explicit flush and compaction, Close and stats. The write path is in
// engine_write.cc, Open in engine_open.cc, the background threads in engine_background.cc.
#include "libkv/storage/engine_impl.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "libkv/base/limits.h"
#include "libkv/storage/merging_iterator.h"

namespace kv {

EngineImpl::~EngineImpl() {
  cancel_background_ = true;
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    commit_cv_.notify_all();
    flush_cv_.notify_all();
    compaction_cv_.notify_all();
    sync_cv_.notify_all();
    progress_cv_.notify_all();
  }
  // First: the commit thread fails what is still queued, and no write is left waiting.
  if (commit_thread_.joinable()) commit_thread_.join();
  if (flush_thread_.joinable()) flush_thread_.join();
  if (compaction_thread_.joinable()) compaction_thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
}

Result<std::optional<std::string>> EngineImpl::Get(std::string_view key) {
  KV_RETURN_IF_ERROR(CheckKey(key));
  std::shared_ptr<const ReadView> view;
  {
    std::lock_guard lock(view_mu_);
    view = view_;
  }
  return ReadKey(*view, key, &read_counters_);
}

std::unique_ptr<Iterator> EngineImpl::NewIterator() {
  std::shared_ptr<const ReadView> view;
  SequenceNumber snapshot;
  {
    // Under mu_ the view and the visible sequence agree: every table in the view holds only
    // writes at or below the snapshot, and memtables filter the rest by sequence.
    std::lock_guard lock(mu_);
    snapshot = visible_seq_;
    std::lock_guard view_lock(view_mu_);
    view = view_;
  }
  return NewLiveKeysIterator(NewViewIterator(*view, snapshot));
}

Status EngineImpl::Flush() {
  KV_RETURN_IF_ERROR(SwitchMemTableAfterQueuedWrites());
  std::unique_lock lock(mu_);
  progress_cv_.wait(lock, [&] { return imms_.empty() || !write_error_.ok() || shutting_down_; });
  if (!write_error_.ok()) return write_error_;
  if (shutting_down_) return Status::Unavailable("the engine is shutting down");
  return Status::Ok();
}

Status EngineImpl::CompactAll() {
  KV_RETURN_IF_ERROR(Flush());
  std::unique_lock lock(mu_);
  const uint64_t target = ++full_compactions_requested_;
  compaction_cv_.notify_one();
  progress_cv_.wait(lock, [&] {
    return full_compactions_done_ >= target || !write_error_.ok() || !compaction_error_.ok() ||
           shutting_down_;
  });
  if (!write_error_.ok()) return write_error_;
  if (!compaction_error_.ok()) return compaction_error_;
  if (shutting_down_) return Status::Unavailable("the engine is shutting down");
  return Status::Ok();
}

Status EngineImpl::Close() {
  Status s = Flush();
  std::shared_ptr<CommitLogWriter> log;
  {
    std::unique_lock lock(mu_);
    log = log_;
    if (s.ok()) s = write_error_;
    // Later writes are refused; reads go on until the engine is destroyed.
    if (write_error_.ok()) write_error_ = Status::Unavailable("the storage engine is closed");
  }
  if (options_.sync != SyncMode::kOff) {
    Status synced = log->Sync();
    if (s.ok()) s = synced;
  }
  return s;
}

EngineStats EngineImpl::stats() const {
  EngineStats st;
  {
    std::lock_guard lock(mu_);
    st.memtable_bytes = mem_->ApproximateBytes();
    st.immutable_memtables = imms_.size();
    st.memtable_memory = mem_->MemoryUsage() + imm_memory_;
    st.memtable_memory_peak = std::max<uint64_t>(memtable_memory_peak_, st.memtable_memory);
    for (const auto& run : tables_->runs)
      for (const auto& t : run->tables) st.table_index_memory += t->reader->MemoryUsage();
    st.tables = tables_->table_count();
    st.table_bytes = tables_->total_bytes();
    st.estimated_keys = mem_->entries();
    for (const auto& imm : imms_) st.estimated_keys += imm->entries();
    for (const auto& run : tables_->runs)
      for (const auto& t : run->tables)
        st.estimated_keys +=
            t->meta.props.entries - std::min(t->meta.props.entries, t->meta.props.tombstones);
    st.last_sequence = visible_seq_;
  }
  st.flushes = flushes_.load(std::memory_order_relaxed);
  st.compactions = compactions_.load(std::memory_order_relaxed);
  st.log_syncs = log_syncs_.load(std::memory_order_relaxed);
  st.log_records = log_records_.load(std::memory_order_relaxed);
  st.write_delays = write_delays_.load(std::memory_order_relaxed);
  st.write_delay_micros = write_delay_micros_.load(std::memory_order_relaxed);
  st.write_stalls = write_stalls_.load(std::memory_order_relaxed);
  st.write_stall_micros = write_stall_micros_.load(std::memory_order_relaxed);
  st.bloom_skips = read_counters_.bloom_skips.load(std::memory_order_relaxed);
  st.bloom_false_positives = read_counters_.bloom_false_positives.load(std::memory_order_relaxed);
  st.replayed_records = replayed_records_;
  st.truncated_log_bytes = truncated_log_bytes_;
  if (table_read_options_.block_cache) st.block_cache = table_read_options_.block_cache->stats();
  return st;
}

}  // namespace kv
