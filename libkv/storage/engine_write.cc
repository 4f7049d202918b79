// The write path: a commit queue served by one commit thread (RocksDB's write thread with a
// dedicated leader). Submit queues a write and returns; the commit thread takes every write
// queued as one group, runs their merges in queue order (a read-modify-write sees every write
// queued before it, so writes to one key are ordered without a lock held across I/O), hands out
// sequence numbers, encodes the group as log records, appends them and syncs once (sync mode
// batch), adds them to the memtable, and completes each write. mu_ is released for that work,
// so callers keep queueing and the next group forms while this one syncs.
//
// No thread but the committing one waits for an fsync. The blocking Put, Delete and Update wait
// on a write of their own (BlockingWrite); one that finds nobody committing and nothing queued
// commits its write itself, as LevelDB's leader does, so a single writer thread pays no hand-off
// to the commit thread and back (the engine benchmarks' fills). `committing_` says who holds the
// group scratch: the commit thread or such a caller, never both.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
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

namespace {

// A write whose caller waits for it on its own thread.
class BlockingWrite final : public EngineWrite {
 public:
  void Done(Status status) override {
    // Notified under the lock: once Wait returns, the waiter may destroy this object, and by then
    // Done no longer touches it.
    std::lock_guard lock(mu_);
    status_ = std::move(status);
    done_ = true;
    cv_.notify_one();
  }

  Status Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    return std::move(status_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Status status_;
};

// The limits a write is checked against before it is queued (an update's result is checked
// once merged).
Status CheckWrite(const EngineWrite& w) {
  switch (w.kind) {
    case EngineWrite::Kind::kPut:
      return CheckKeyAndStoredValue(w.key, w.value);
    case EngineWrite::Kind::kDelete:
    case EngineWrite::Kind::kUpdate:
      return CheckKey(w.key);
  }
  return Status::Ok();
}

}  // namespace

Status EngineImpl::Put(std::string_view key, std::string_view value) {
  BlockingWrite w;
  w.kind = EngineWrite::Kind::kPut;
  w.key = key;
  w.value = value;
  if (Status s = CheckWrite(w); !s.ok()) return s;
  Enqueue(Queued{.write = &w, .switch_memtable = false}, /*may_lead=*/true);
  return w.Wait();
}

Status EngineImpl::Delete(std::string_view key) {
  BlockingWrite w;
  w.kind = EngineWrite::Kind::kDelete;
  w.key = key;
  if (Status s = CheckWrite(w); !s.ok()) return s;
  Enqueue(Queued{.write = &w, .switch_memtable = false}, /*may_lead=*/true);
  return w.Wait();
}

Status EngineImpl::Update(std::string_view key, const MergeFn& merge) {
  BlockingWrite w;
  w.kind = EngineWrite::Kind::kUpdate;
  w.key = key;
  w.merge = &merge;
  if (Status s = CheckWrite(w); !s.ok()) return s;
  Enqueue(Queued{.write = &w, .switch_memtable = false}, /*may_lead=*/true);
  return w.Wait();
}

void EngineImpl::Submit(EngineWrite* write) {
  if (Status s = CheckWrite(*write); !s.ok()) return write->Done(std::move(s));
  Enqueue(Queued{.write = write, .switch_memtable = false}, /*may_lead=*/false);
}

Status EngineImpl::SwitchMemTableAfterQueuedWrites() {
  BlockingWrite w;
  Enqueue(Queued{.write = &w, .switch_memtable = true}, /*may_lead=*/true);
  return w.Wait();
}

void EngineImpl::Enqueue(Queued q, bool may_lead) {
  Status refused;
  {
    std::unique_lock lock(mu_);
    if (write_error_.ok() && !shutting_down_) {
      queue_.push_back(q);
      if (!may_lead || committing_ || queue_.size() > 1) {
        commit_cv_.notify_one();
        return;
      }
      // Nobody commits and nothing else waits: this (blocking) caller commits its own write,
      // LevelDB's leader, and spares the hand-off to the commit thread and back.
      committing_ = true;
      CommitFront(lock);
      committing_ = false;
      if (!queue_.empty() || shutting_down_) commit_cv_.notify_one();
      return;
    }
    refused =
        shutting_down_ ? Status::Unavailable("the storage engine is shutting down") : write_error_;
  }
  q.write->Done(std::move(refused));
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

void EngineImpl::CommitLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    commit_cv_.wait(lock, [&] { return !committing_ && (!queue_.empty() || shutting_down_); });
    if (queue_.empty()) break;  // shutting down with nothing left
    committing_ = true;
    CommitFront(lock);
    committing_ = false;
  }
}

void EngineImpl::CommitFront(std::unique_lock<std::mutex>& lock) {
  const bool switch_memtable = queue_.front().switch_memtable;
  Status s = shutting_down_ ? Status::Unavailable("the storage engine is shutting down")
                            : MakeRoomForWrite(lock, switch_memtable);
  if (!s.ok()) {
    // The engine refuses writes (or stops): every write queued fails, none is dropped.
    std::vector<Staged> failed(queue_.size());
    for (size_t i = 0; i < failed.size(); ++i) failed[i].write = queue_[i].write;
    queue_.clear();
    lock.unlock();
    CompleteWrites(failed, s);
    lock.lock();
    return;
  }
  if (switch_memtable) {
    EngineWrite* w = queue_.front().write;
    queue_.pop_front();
    lock.unlock();
    w->Done(Status::Ok());
    lock.lock();
    return;
  }
  group_.clear();
  while (!queue_.empty() && !queue_.front().switch_memtable) {
    group_.push_back(queue_.front().write);
    queue_.pop_front();
  }
  (void)CommitGroup(lock);
}

void EngineImpl::StageGroup() {
  staged_.clear();
  merged_values_.clear();
  group_latest_.clear();
  // Only an update reads: a group of plain puts and deletes (the engine's own fills) keeps no
  // overlay and takes no view.
  const bool any_update = std::any_of(group_.begin(), group_.end(), [](const EngineWrite* w) {
    return w->kind == EngineWrite::Kind::kUpdate;
  });
  std::shared_ptr<const ReadView> view;
  if (any_update) {
    std::lock_guard lock(view_mu_);
    view = view_;
  }
  for (EngineWrite* w : group_) {
    Staged st;
    st.write = w;
    switch (w->kind) {
      case EngineWrite::Kind::kPut:
        st.stores = true;
        st.kind = EntryKind::kValue;
        st.value = w->value;
        break;
      case EngineWrite::Kind::kDelete:
        st.stores = true;
        st.kind = EntryKind::kTombstone;
        break;
      case EngineWrite::Kind::kUpdate: {
        // The current value: this group's latest write of the key, else the engine's (every
        // earlier group is in the memtable by now).
        std::optional<std::string> stored;
        std::optional<std::string_view> current;
        if (auto it = group_latest_.find(w->key); it != group_latest_.end()) {
          current = it->second;
        } else {
          Result<std::optional<std::string>> read = ReadKey(*view, w->key, &read_counters_);
          if (!read.ok()) {
            st.status = read.status();
            break;
          }
          stored = std::move(*read);
          if (stored) current = *stored;
        }
        Result<std::optional<std::string>> next = (*w->merge)(current);
        if (!next.ok()) {
          st.status = next.status();
        } else if (*next) {
          st.status = CheckKeyAndStoredValue(w->key, **next);
          if (st.status.ok()) {
            st.stores = true;
            st.kind = EntryKind::kValue;
            st.value = merged_values_.emplace_back(std::move(**next));
          }
        }
        if (st.status.ok()) w->Decided();
        break;
      }
    }
    if (st.stores && any_update)
      group_latest_[w->key] =
          st.kind == EntryKind::kValue ? std::optional<std::string_view>(st.value) : std::nullopt;
    staged_.push_back(std::move(st));
  }
}

Status EngineImpl::CommitGroup(std::unique_lock<std::mutex>& lock) {
  MemTable* mem = mem_.get();
  std::shared_ptr<CommitLogWriter> log = log_;
  lock.unlock();

  StageGroup();
  size_t count = 0;
  size_t bytes = 0;
  for (const Staged& st : staged_) {
    if (!st.stores) continue;
    ++count;
    bytes += st.write->key.size() + st.value.size() + 16;
  }
  Status s;
  const SequenceNumber first = last_seq_ + 1;
  if (count > 0) {
    // Records of at most kMaxGroupBytes each (a single larger write gets one of its own), all
    // appended at once and covered by one sync.
    log_buffer_.clear();
    SequenceNumber seq = first;
    size_t i = 0;
    while (i < staged_.size()) {
      size_t end = i, n = 0, chunk = 0;
      for (; end < staged_.size(); ++end) {
        const Staged& st = staged_[end];
        if (!st.stores) continue;
        const size_t size = st.write->key.size() + st.value.size() + 16;
        if (n > 0 && chunk + size > commit_log::kMaxGroupBytes) break;
        ++n;
        chunk += size;
      }
      if (n == 1) {
        for (size_t j = i; j < end; ++j)
          if (staged_[j].stores)
            EncodeWriteRecord(&log_buffer_, seq, staged_[j].kind, staged_[j].write->key,
                              staged_[j].value);
      } else if (n > 1) {
        BatchRecordBuilder batch(&log_buffer_, seq, static_cast<uint32_t>(n));
        for (size_t j = i; j < end; ++j)
          if (staged_[j].stores)
            batch.Add(staged_[j].kind, staged_[j].write->key, staged_[j].value);
        batch.Finish();
      }
      seq += n;
      i = end;
    }
    s = log->Append(log_buffer_);
    if (s.ok() && options_.sync == SyncMode::kBatch) {
      s = log->Sync();
      if (s.ok()) {
        log_syncs_.fetch_add(1, std::memory_order_relaxed);
        log_records_.fetch_add(count, std::memory_order_relaxed);
      }
    }
    // Only a write that is in the log as its sync mode promises enters the memtable: a failed
    // write is never visible.
    if (s.ok()) {
      seq = first;
      for (const Staged& st : staged_)
        if (st.stores) mem->Add(seq++, st.kind, st.write->key, st.value);
      last_seq_ = first + count - 1;
    }
    if (log_buffer_.capacity() > 4 * commit_log::kMaxGroupBytes) std::string().swap(log_buffer_);
  }

  lock.lock();
  if (!s.ok()) {
    s = SetWriteErrorLocked(s.WithContext("commit log write failed"));
  } else if (count > 0) {
    visible_seq_ = last_seq_;
    write_delay_owed_ += write_throttle_.DelayFor(bytes);
    memtable_memory_peak_ =
        std::max<uint64_t>(memtable_memory_peak_, mem->MemoryUsage() + imm_memory_);
    if (options_.sync == SyncMode::kPeriodic) unsynced_records_ += count;
  }
  lock.unlock();
  CompleteWrites(staged_, s);
  group_.clear();
  lock.lock();
  return s;
}

void EngineImpl::CompleteWrites(std::vector<Staged>& writes, const Status& status) {
  // A write's merged value may point into merged_values_: nothing reads it past this point.
  for (Staged& st : writes) st.write->Done(!st.status.ok() ? std::move(st.status) : status);
  writes.clear();
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
    if (shutting_down_) return done(Status::Unavailable("the storage engine is shutting down"));
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
        // The groups before owe this much (CommitGroup charges each for its bytes). A sleep
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
