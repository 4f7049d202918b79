// The write path: LevelDB's writer queue. Each writer joins the queue; the one at the front (the
// leader) takes the writes queued behind it as one group, hands out their sequence numbers,
// encodes them as one log record, appends it and syncs once (sync mode batch), adds them to the
// memtable, and wakes the group. mu_ is released for the I/O, so followers keep queueing and the
// next group forms while this one syncs: N threads share fsyncs.
#include <algorithm>
#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "libkv/base/limits.h"
#include "libkv/env/env.h"
#include "libkv/storage/commit_log_format.h"
#include "libkv/storage/data_dir.h"
#include "libkv/storage/engine_impl.h"
#include "libkv/storage/write_slowdown.h"

namespace kv {

Status EngineImpl::Put(std::string_view key, std::string_view value) {
  KV_RETURN_IF_ERROR(CheckKeyAndStoredValue(key, value));
  Writer w;
  w.kind = EntryKind::kValue;
  w.key = key;
  w.value = value;
  return Write(&w);
}

Status EngineImpl::Delete(std::string_view key) {
  KV_RETURN_IF_ERROR(CheckKey(key));
  Writer w;
  w.kind = EntryKind::kTombstone;
  w.key = key;
  return Write(&w);
}

Status EngineImpl::SetWriteErrorLocked(const Status& cause) {
  if (write_error_.ok()) {
    write_error_ = Status::IOError(fmt::format(
        "{}; the engine refuses writes from now on: restart the node (it will replay the commit "
        "log)",
        cause.message()));
    logger_->error("storage engine {}: {}", dir_, write_error_.message());
    progress_cv_.notify_all();
  }
  return write_error_;
}

void EngineImpl::PublishViewLocked() {
  auto view = std::make_shared<ReadView>();
  view->mem = mem_;
  view->imms.assign(imms_.begin(), imms_.end());
  view->tables = tables_;
  std::lock_guard lock(view_mu_);
  view_ = std::move(view);
}

Status EngineImpl::Write(Writer* w) {
  std::unique_lock lock(mu_);
  if (!write_error_.ok()) return write_error_;
  writers_.push_back(w);
  while (!w->done && w != writers_.front()) w->cv.wait(lock);
  if (w->done) return w->status;

  // This thread is the leader until it pops itself and its group off the queue.
  Writer* last = w;
  Status s = MakeRoomForWrite(lock, w->switch_memtable);
  if (s.ok() && !w->switch_memtable) s = WriteGroup(lock, &last);

  while (true) {
    Writer* x = writers_.front();
    writers_.pop_front();
    if (x != w) {
      x->status = s;
      x->done = true;
      x->cv.notify_one();
    }
    if (x == last) break;
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return s;
}

Status EngineImpl::WriteGroup(std::unique_lock<std::mutex>& lock, Writer** last) {
  group_.clear();
  size_t bytes = 0;
  for (Writer* x : writers_) {
    if (x->switch_memtable) break;
    const size_t size = x->key.size() + x->value.size() + 16;
    if (!group_.empty() && bytes + size > commit_log::kMaxGroupBytes) break;
    group_.push_back(x);
    bytes += size;
  }
  const SequenceNumber first = last_seq_ + 1;
  last_seq_ += group_.size();
  MemTable* mem = mem_.get();
  std::shared_ptr<CommitLogWriter> log = log_;
  lock.unlock();

  log_buffer_.clear();
  if (group_.size() == 1) {
    EncodeWriteRecord(&log_buffer_, first, group_[0]->kind, group_[0]->key, group_[0]->value);
  } else {
    BatchRecordBuilder batch(&log_buffer_, first, static_cast<uint32_t>(group_.size()));
    for (Writer* x : group_) batch.Add(x->kind, x->key, x->value);
    batch.Finish();
  }
  Status s = log->Append(log_buffer_);
  if (s.ok() && options_.sync == SyncMode::kBatch) {
    s = log->Sync();
    if (s.ok()) {
      log_syncs_.fetch_add(1, std::memory_order_relaxed);
      log_records_.fetch_add(group_.size(), std::memory_order_relaxed);
    }
  }
  // Only a write that is in the log as its sync mode promises enters the memtable: a failed
  // write is never visible.
  if (s.ok()) {
    SequenceNumber seq = first;
    for (Writer* x : group_) mem->Add(seq++, x->kind, x->key, x->value);
  }
  if (log_buffer_.capacity() > 4 * commit_log::kMaxGroupBytes) std::string().swap(log_buffer_);

  lock.lock();
  *last = group_.back();
  if (!s.ok()) return SetWriteErrorLocked(s.WithContext("commit log write failed"));
  visible_seq_ = first + group_.size() - 1;
  write_delay_owed_ += write_throttle_.DelayFor(bytes);
  memtable_memory_peak_ =
      std::max<uint64_t>(memtable_memory_peak_, mem->MemoryUsage() + imm_memory_);
  if (options_.sync == SyncMode::kPeriodic) unsynced_records_ += group_.size();
  return Status::Ok();
}

Status EngineImpl::MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force) {
  using Clock = std::chrono::steady_clock;
  bool delayed = false;
  std::optional<Clock::time_point> stalled_since;
  // Records the stall (if any) on every way out.
  auto done = [&](Status s) {
    if (stalled_since) {
      write_stalls_.fetch_add(1, std::memory_order_relaxed);
      write_stall_micros_.fetch_add(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - *stalled_since)
              .count(),
          std::memory_order_relaxed);
    }
    return s;
  };
  auto stall = [&] {
    if (!stalled_since) stalled_since = Clock::now();
    progress_cv_.wait(lock);
  };
  while (true) {
    if (!write_error_.ok()) return done(write_error_);
    if (!force) {
      // (Runs pile up when compaction lags; not when it is off after an error, or every write
      // would pay the delay for good.)
      const WriteThrottle throttle =
          ThrottleFor(WriteLoad{.memtable_content = mem_->ApproximateBytes() + imm_content_,
                                .memtable_bytes = options_.memtable_bytes,
                                .max_immutable_memtables = options_.max_immutable_memtables,
                                .runs = tables_->runs.size(),
                                .compaction_running = compaction_error_.ok()});
      if (throttle.stop_for_runs) {
        stall();
        continue;
      }
      write_throttle_ = throttle;
      if (throttle.pressure == 0) write_delay_owed_ = std::chrono::nanoseconds(0);
      if (!delayed && write_delay_owed_ >= kMinWriteSleep) {
        // The groups before owe this much (WriteGroup charges each for its bytes). A sleep
        // shorter than the kernel's timer slack takes ~60 us whatever is asked, so delays are
        // slept once they add up: on average each byte waits what it should. The writers
        // queueing meanwhile join the next group.
        delayed = true;
        const auto owed = write_delay_owed_;
        write_delay_owed_ = std::chrono::nanoseconds(0);
        lock.unlock();
        const auto start = Clock::now();
        std::this_thread::sleep_for(owed);
        const auto slept =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        lock.lock();
        write_delays_.fetch_add(1, std::memory_order_relaxed);
        write_delay_micros_.fetch_add(static_cast<uint64_t>(slept.count()),
                                      std::memory_order_relaxed);
        continue;
      }
    }
    if (mem_->empty() || (!force && mem_->ApproximateBytes() < options_.memtable_bytes))
      return done(Status::Ok());
    if (imms_.size() >= options_.max_immutable_memtables) {
      stall();  // the memtable budget is spent: wait for a flush to free one
      continue;
    }
    return done(SwitchMemTable(lock));
  }
}

Status EngineImpl::SwitchMemTable(std::unique_lock<std::mutex>& lock) {
  const uint64_t number = next_file_++;
  std::shared_ptr<CommitLogWriter> old_log = log_;
  lock.unlock();
  const std::string path = LogFileName(dir_, number);
  auto new_mem = std::make_shared<MemTable>(number, options_.memtable_bytes);  // outside mu_
  Status s;
  std::shared_ptr<CommitLogWriter> new_log;
  auto file = env_->NewWritableFile(path);
  if (file.ok()) {
    new_log = std::make_shared<CommitLogWriter>(path, number, std::move(*file));
    s = env_->SyncDir(dir_);
  } else {
    s = file.status();
  }
  // The old log's tail is made durable too (it is a no-op in batch mode), so a crash never
  // leaves a hole before writes in the new log.
  if (s.ok()) s = old_log->Close(options_.sync != SyncMode::kOff);
  lock.lock();
  if (!s.ok()) return SetWriteErrorLocked(s.WithContext("switching to a new commit log"));
  imm_content_ += mem_->ApproximateBytes();
  imm_memory_ += mem_->MemoryUsage();
  imms_.push_front(std::move(mem_));
  mem_ = std::move(new_mem);
  log_ = std::move(new_log);
  PublishViewLocked();
  flush_cv_.notify_one();
  return Status::Ok();
}

}  // namespace kv
