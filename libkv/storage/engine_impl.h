// EngineImpl: the LSM engine behind the Engine interface (engine.h). The pieces live in their own
// files: the write path and group commit (engine_write.cc), opening and recovery
// (engine_open.cc), the background flush, compaction and periodic-sync threads
// (engine_background.cc), reads and the rest (engine_impl.cc). The parts they drive are
// separate concepts: CommitLogWriter, MemTable, ReadView, FlushMemTable, compaction, manifest.
//
// Locking: mu_ guards the commit queue, the memtable list, the table set and the counters; it is
// never held across I/O. manifest_mu_ serialises changes of the table set with their manifest
// write (taken before mu_). view_mu_ guards only the published ReadView pointer, so readers
// never contend with the commit queue. The commit thread alone runs merges, appends to the log,
// syncs it and adds to the memtable, without mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "libkv/storage/commit_log.h"
#include "libkv/storage/compaction.h"
#include "libkv/storage/engine.h"
#include "libkv/storage/flush.h"
#include "libkv/storage/memtable.h"
#include "libkv/storage/read_view.h"
#include "libkv/storage/write_slowdown.h"

namespace kv {

class EngineImpl final : public Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(EngineOptions options);
  ~EngineImpl() override;

  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  Result<std::optional<std::string>> Get(std::string_view key) override;
  Status Update(std::string_view key, const MergeFn& merge) override;
  void Submit(EngineWrite* write) override;
  std::unique_ptr<Iterator> NewIterator() override;
  Status Flush() override;
  Status CompactAll() override;
  Result<RewriteFigures> RewriteTables(const TableRewrite& rewrite,
                                       RewriteProgress* progress) override;
  Status Close() override;
  EngineStats stats() const override;

 private:
  // One entry of the commit queue: a caller's write, or (switch_memtable) a request from Flush to
  // make the memtable immutable once every write queued before it is in.
  struct Queued {
    EngineWrite* write = nullptr;
    bool switch_memtable = false;
  };
  // One write of the group being committed, once its merge has run (engine_write.cc).
  struct Staged {
    EngineWrite* write = nullptr;
    Status status;        // a failed merge or an oversized result fails this write alone
    bool stores = false;  // false: failed, or a merge that stored nothing
    EntryKind kind = EntryKind::kValue;
    std::string_view value;  // the caller's, or merged_values_'s
  };
  // A RewriteTables call handed to the compaction thread; the caller waits for `done`.
  struct RewriteJob {
    const TableRewrite* rewrite = nullptr;
    RewriteProgress* progress = nullptr;  // may be null
    bool taken = false;                   // the compaction thread has begun it
    bool done = false;
    bool stopped_by_check = false;  // the result is rewrite->check's error, not the engine's
    Result<RewriteFigures> result = RewriteFigures{};
  };
  // Write delays are slept once they add up to this (engine_write.cc).
  static constexpr std::chrono::microseconds kMinWriteSleep{200};

  explicit EngineImpl(EngineOptions options);

  // engine_open.cc
  Status Recover();
  TableBuildSpec BuildSpec(uint64_t number, uint32_t level) const;
  Status RemoveObsoleteFiles();
  void StartThreads();

  // engine_write.cc
  // Queues `q`, or completes its write at once with the reason the engine refuses writes. With
  // `may_lead` (a blocking caller, never an I/O thread) the caller commits the write itself when
  // nothing else is queued or committing.
  void Enqueue(Queued q, bool may_lead);
  void CommitLoop();
  // Commits the front of the queue: a memtable switch, or every write up to the next switch.
  // REQUIRES: mu_ held and committing_ set by the caller.
  void CommitFront(std::unique_lock<std::mutex>& lock);
  // Makes the memtable immutable once every write queued before is in (Flush).
  Status SwitchMemTableAfterQueuedWrites();
  Status MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force);
  Status SwitchMemTable(std::unique_lock<std::mutex>& lock);
  // Commits the writes in group_: merges, log append, sync, memtable. REQUIRES: mu_ held (it is
  // released for the work and held again on return).
  Status CommitGroup(std::unique_lock<std::mutex>& lock);
  // Runs the group's merges in queue order into staged_, each seeing the writes before it.
  void StageGroup();
  // Completes every write of `writes` with `status` (or its own failure), in order, without mu_.
  void CompleteWrites(std::vector<Staged>& writes, const Status& status);
  // Makes the engine refuse writes for good; returns the error writers get. REQUIRES: mu_ held.
  Status SetWriteErrorLocked(const Status& cause);
  void PublishViewLocked();  // REQUIRES: mu_ held

  // engine_background.cc
  void FlushLoop();
  void CompactionLoop();
  void SyncLoop();
  Status FlushOldestImmutable(std::shared_ptr<MemTable> imm, uint64_t number);
  Status CompactOnce(const CompactionPick& pick);
  // The spec of a compaction's output tables: a level above its inputs'.
  TableBuildSpec CompactionSpec(const CompactionPick& pick) const;
  // Replaces the pick's runs by `output` in a new manifest, publishes it and deletes the inputs.
  // `last_check` (null: none) runs under manifest_mu_ right before the manifest is written: an
  // error leaves the table set as it was.
  Status InstallCompaction(const CompactionPick& pick, const CompactionOutput& output,
                           const std::function<Status()>& last_check);
  // The filtered rewrite of every table, on the compaction thread (RewriteTables).
  Result<RewriteFigures> RunRewrite(RewriteJob& job);
  // Writes a manifest naming `tables`. REQUIRES: manifest_mu_ held, mu_ not held.
  Status WriteManifestFor(const TableSet& tables, uint64_t log_number);
  void HandleBackgroundError(const Status& s, std::string_view what);

  const EngineOptions options_;
  Env* const env_;
  const std::string dir_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<FileLock> lock_;
  TableReadOptions table_read_options_;  // the shared block cache

  mutable std::mutex mu_;
  std::deque<Queued> queue_;  // GUARDED_BY(mu_): the commit queue
  bool committing_ = false;   // GUARDED_BY(mu_): a thread is committing (owns the scratch below)
  std::shared_ptr<MemTable> mem_;                 // GUARDED_BY(mu_); written by the leader
  std::deque<std::shared_ptr<MemTable>> imms_;    // GUARDED_BY(mu_); newest first
  uint64_t imm_content_ = 0;                      // GUARDED_BY(mu_): ApproximateBytes of imms_
  uint64_t imm_memory_ = 0;                       // GUARDED_BY(mu_): MemoryUsage of imms_
  uint64_t memtable_memory_peak_ = 0;             // GUARDED_BY(mu_)
  WriteThrottle write_throttle_;                  // GUARDED_BY(mu_): the leader's, for its group
  std::chrono::nanoseconds write_delay_owed_{0};  // GUARDED_BY(mu_): delays not yet slept
  std::shared_ptr<CommitLogWriter> log_;          // GUARDED_BY(mu_)
  std::shared_ptr<const TableSet> tables_;        // GUARDED_BY(mu_)
  SequenceNumber last_seq_ = 0;                   // the commit thread's: the last one handed out
  SequenceNumber visible_seq_ = 0;                // GUARDED_BY(mu_): the last one applied
  uint64_t next_file_ = 1;                        // GUARDED_BY(mu_)
  Status write_error_;                            // GUARDED_BY(mu_)
  Status compaction_error_;                       // GUARDED_BY(mu_)
  bool shutting_down_ = false;                    // GUARDED_BY(mu_)
  bool compaction_wanted_ = true;                 // GUARDED_BY(mu_)
  uint64_t full_compactions_requested_ = 0;       // GUARDED_BY(mu_)
  uint64_t full_compactions_done_ = 0;            // GUARDED_BY(mu_)
  RewriteJob* rewrite_ = nullptr;                 // GUARDED_BY(mu_): waiting or running
  uint64_t unsynced_records_ = 0;                 // GUARDED_BY(mu_): for stats in periodic mode
  std::condition_variable flush_cv_;              // wakes the flush thread
  std::condition_variable compaction_cv_;         // wakes the compaction thread
  std::condition_variable sync_cv_;               // wakes the periodic syncer (shutdown)
  std::condition_variable progress_cv_;           // flush or compaction finished, or an error
  std::condition_variable commit_cv_;             // wakes the commit thread

  // The committing thread's scratch: the group taken from the queue, its writes once merged (with
  // the merged values they own and the latest value of each key the group wrote), and the
  // encoded log records.
  std::vector<EngineWrite*> group_;
  std::vector<Staged> staged_;
  std::deque<std::string> merged_values_;
  std::unordered_map<std::string_view, std::optional<std::string_view>> group_latest_;
  std::string log_buffer_;

  mutable std::mutex view_mu_;
  std::shared_ptr<const ReadView> view_;  // GUARDED_BY(view_mu_)

  std::mutex manifest_mu_;
  uint64_t manifest_number_ = 0;      // GUARDED_BY(manifest_mu_)
  uint64_t manifest_log_number_ = 0;  // GUARDED_BY(manifest_mu_)

  ReadCounters read_counters_;
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<uint64_t> log_syncs_{0};
  std::atomic<uint64_t> log_records_{0};
  std::atomic<uint64_t> write_delays_{0};
  std::atomic<uint64_t> write_delay_micros_{0};
  std::atomic<uint64_t> write_stalls_{0};
  std::atomic<uint64_t> write_stall_micros_{0};
  uint64_t replayed_records_ = 0;     // set by Open
  uint64_t truncated_log_bytes_ = 0;  // set by Open

  std::atomic<bool> cancel_background_{false};  // set by the destructor: stop long builds
  std::thread commit_thread_;
  std::thread flush_thread_;
  std::thread compaction_thread_;
  std::thread sync_thread_;
};

}  // namespace kv
