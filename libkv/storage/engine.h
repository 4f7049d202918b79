// Engine: one node's LSM store. Writes go to the commit log (group-committed) and the memtable;
// a full memtable becomes immutable and a background thread flushes it to an SSTable while new
// writes go on; the same thread compacts tables so reads stay bounded. Reads look at the
// memtable, then the immutable memtables, then the SSTables newest first, skipping tables by key
// range and bloom filter. Open replays the commit log; a torn tail is truncated and reported.
//
// Values are opaque bytes. Update() is the seam for layers above that keep structured values
// (the cluster's sibling sets): it runs a caller's merge rule as an atomic read-modify-write.
//
// Writes are asynchronous at heart: Submit hands an EngineWrite to the commit queue and returns
// at once; the engine's commit thread takes every write queued as one group, runs their merges
// in queue order (so read-modify-writes of one key are ordered by the queue, with no lock held
// across the fsync), appends one log record, syncs once, adds the group to the memtable and then
// completes each write. Put/Delete/Update are the blocking forms of the same path, for callers
// that may block (tests, tools, a node's background work on its small pool); one that finds the
// queue empty and nobody committing commits its own write on its own thread.
//
// Threads: every method is safe to call from many threads at once. A write completes after it is
// durable as the sync mode promises. An fsync failure is never retried: the engine fails every
// write of that group and refuses further writes (DESIGN.md, "Files").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/storage/block_cache.h"
#include "libkv/storage/entry.h"
#include "libkv/storage/iterator.h"
#include "libkv/storage/sstable.h"

namespace spdlog {
class logger;
}

namespace kv {

enum class SyncMode {
  kBatch,     // acknowledge after the fsync that covers the write (group commit); the default
  kPeriodic,  // acknowledge at once; fsync every sync_period (Cassandra's default)
  kOff,       // never fsync; the OS writes back when it likes
};

// "batch" | "periodic" | "off"
Result<SyncMode> ParseSyncMode(std::string_view name);
std::string_view SyncModeName(SyncMode mode);

inline constexpr size_t kDefaultBlockCacheBytes = 64 << 20;

struct EngineOptions {
  Env* env = nullptr;  // required; not owned
  std::string dir;     // the data directory; created when missing
  SyncMode sync = SyncMode::kBatch;
  std::chrono::milliseconds sync_period{10};  // for kPeriodic
  // A memtable past this becomes immutable and is flushed. 8 MiB: a skiplist insert is a chain
  // of cache misses, and at 64 MiB random inserts ran 1.8x slower than at 8 MiB.
  size_t memtable_bytes = 8 << 20;
  // Full memtables waiting for (or in) a flush. With the active one, all memtables together hold
  // at most about (1 + max_immutable_memtables) * memtable_bytes: past that, writes wait for a
  // flush. Before that they are slowed (write_slowdown.h), so a burst meets a small steady
  // delay rather than that wall.
  size_t max_immutable_memtables = 3;
  TableOptions table;
  // The block cache's budget: raw data blocks kept by all tables' Get, plus every open table's
  // index and filter (0: no cache; tables keep index and filter uncharged, the OS page cache
  // holds hot blocks). On by default: it bounds what reads hold and keeps hot blocks
  // decompressed when the page cache cannot keep the tables. Where the page cache holds every
  // table, 0 read faster in our figures (docs/benchmarks.md, "Compression and the block cache").
  size_t block_cache_bytes = kDefaultBlockCacheBytes;
  // Map table files (LevelDB's way: reads are views into the page cache) or read them with pread.
  // Mapped pages a read or a compaction touched count in the process's resident memory until the
  // table is closed, as much as the whole data set during a full compaction; a node under a
  // memory budget reads with pread and keeps hot blocks in the block cache instead.
  bool map_tables = true;
  // Whether compaction may drop this tombstone for good. Called only when the output is the
  // oldest data for the key (nothing older can resurface). The cluster plugs in its grace-period
  // and all-replicas rule here; the default purges at once, right for a single server.
  std::function<bool(std::string_view key, SequenceNumber seq)> can_purge_tombstone;
  // Whether a stored value is obsolete, so compaction may drop its key as if it had been deleted
  // and purged (RocksDB's compaction filter). Asked only where a purgeable tombstone would be: the
  // compaction's output holds the oldest data for the key, so dropping its newest version leaves
  // nothing older to resurface. The cluster drops sibling sets of tombstones every replica has
  // (libkv/replication/tombstone_gc.h). Runs on the compaction thread. Null: nothing is.
  std::function<bool(std::string_view key, std::string_view value)> value_is_obsolete;
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
};

// Figures for kvbench, kvnode's stats and tests.
struct EngineStats {
  uint64_t memtable_bytes = 0;
  uint64_t immutable_memtables = 0;
  // Memory all memtables hold now (active and immutable: arenas and hash indexes), and the most
  // they held since Open; the budget is about (1 + max_immutable_memtables) * memtable_bytes.
  uint64_t memtable_memory = 0;
  uint64_t memtable_memory_peak = 0;
  // Memory the open tables keep from their Open: index and bloom filter (docs/architecture.md,
  // "Memory").
  uint64_t table_index_memory = 0;
  // Write slow-down (write_slowdown.h): the sleeps write leaders took because flush or compaction
  // lags (the delays the bytes written owe, slept once they add up to 200 us), and the time
  // slept; write groups stopped at a hard limit until a flush or compaction ended, and the time
  // they waited.
  uint64_t write_delays = 0;
  uint64_t write_delay_micros = 0;
  uint64_t write_stalls = 0;
  uint64_t write_stall_micros = 0;
  uint64_t tables = 0;
  uint64_t table_bytes = 0;
  // An estimate of the keys held (as Cassandra's "estimated keys"), cheap enough for every gossip
  // heartbeat: the tables' entries less their tombstones, plus every version the memtables hold.
  // It counts a key once per table and once per memtable write that holds it, so it is high by the
  // overwrites not yet compacted away (a key written in several tables, or rewritten before a
  // flush, counts several times: at most the number of tables plus memtable writes per key), and
  // counts a memtable's deletes as keys; compaction brings it back to the truth.
  uint64_t estimated_keys = 0;
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t log_syncs = 0;              // fsyncs of the commit log
  uint64_t log_records = 0;            // records those fsyncs covered
  uint64_t bloom_skips = 0;            // table reads the bloom filter avoided
  uint64_t bloom_false_positives = 0;  // filter said maybe, table did not have the key
  uint64_t replayed_records = 0;       // at Open
  uint64_t truncated_log_bytes = 0;    // torn tail dropped at Open
  SequenceNumber last_sequence = 0;
  BlockCacheStats block_cache;  // all zero when the cache is off
};

// One write handed to the commit queue (Engine::Submit). The caller owns it and keeps it, and
// whatever its fields point to, alive until Done has been called on it, which happens exactly
// once. Done and Decided run on the thread committing the group (the engine's commit thread, or a
// blocking Put/Delete/Update caller leading it): they must be short and must not call the engine
// (post the completion to the caller's own executor).
class EngineWrite {
 public:
  enum class Kind : uint8_t { kPut, kDelete, kUpdate };
  // Read-modify-write: gets the key's value as the queue has it (every earlier write applied,
  // nullopt when absent or deleted) and returns the value to store, or nullopt to store nothing.
  // An error fails this write alone.
  using MergeFn =
      std::function<Result<std::optional<std::string>>(std::optional<std::string_view> current)>;

  Kind kind = Kind::kPut;
  std::string_view key;
  std::string_view value;          // kPut
  const MergeFn* merge = nullptr;  // kUpdate; not owned

  // The write is durable as the sync mode promises (Ok, also when a merge stored nothing), or it
  // failed and nothing of it is visible.
  virtual void Done(Status status) = 0;
  // An update's merge has run and succeeded, and its result is decided, before the group's log
  // write and fsync: a caller may start work that depends on the result (the coordinator sends
  // it to the other replicas) while the fsync runs. Done still follows, and may report a failure
  // (the fsync's). Not called when the merge failed (Done reports why) or the write was refused.
  virtual void Decided() {}

 protected:
  ~EngineWrite() = default;
};

// Engine::RewriteTables: which keys stay, and when to give up.
struct TableRewrite {
  // Whether a key stays. A key it refuses leaves every table with all its versions (values and
  // tombstones alike), and nothing is written in its place. Runs on the compaction thread.
  std::function<bool(std::string_view key)> keep;
  // Asked every few thousand keys and once more right before the new tables replace the old: an
  // error stops the rewrite, its tables are deleted and no key leaves. Null: always Ok.
  std::function<Status()> check;
};

// What a rewrite did; also its progress so far (RewriteProgress).
struct RewriteFigures {
  uint64_t keys_scanned = 0;        // live keys the tables held (newest version a value)
  uint64_t keys_dropped = 0;        // of those, the ones `keep` refused
  uint64_t bytes_dropped = 0;       // their keys' and newest values' bytes
  uint64_t table_bytes_before = 0;  // the tables rewritten
  uint64_t table_bytes_after = 0;   // the tables written in their place: the bytes written
};

// Read by another thread while a rewrite runs (a node answering kvring cleanup's polls).
struct RewriteProgress {
  std::atomic<uint64_t> keys_scanned{0};
  std::atomic<uint64_t> keys_dropped{0};
  std::atomic<uint64_t> bytes_dropped{0};
};

class Engine {
 public:
  // Opens (creating when missing) the store in options.dir, replays the commit log and starts
  // the background thread. Fails with Corruption naming file and offset when a record in the
  // middle of the log or the manifest is bad; Unavailable when another process holds the dir.
  static Result<std::unique_ptr<Engine>> Open(EngineOptions options);
  // Stops the background thread; does not flush (the commit log already holds every write).
  virtual ~Engine() = default;

  // InvalidArgument (nothing written) for an empty or oversized key or an oversized value.
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // The value, or std::nullopt when the key is absent or deleted.
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;

  // Atomic read-modify-write of one key: `merge` gets the current value (nullopt when absent or
  // deleted) and returns the value to store, or nullopt to write nothing. Every write of a key
  // (Put, Delete, Update, Submit) is ordered by the commit queue.
  using MergeFn = EngineWrite::MergeFn;
  virtual Status Update(std::string_view key, const MergeFn& merge) = 0;

  // Queues `write` and returns at once, never committing on the calling thread; write->Done runs
  // later on the committing thread (or at once, on this thread, for a key or value over the
  // limits or an engine that refuses writes).
  virtual void Submit(EngineWrite* write) = 0;

  // An iterator over the live keys (tombstones skipped) as of the call, newest version of each.
  virtual std::unique_ptr<Iterator> NewIterator() = 0;

  // Flushes the memtable to an SSTable and waits for it.
  virtual Status Flush() = 0;
  // Flushes, then compacts everything into the fewest tables and waits.
  virtual Status CompactAll() = 0;
  // Cleanup's rewrite (Cassandra's): flushes the memtable, then rewrites every table into one
  // sorted run without the keys `rewrite.keep` refuses, as a full compaction does (same purge
  // rules, same manifest edit: a crash leaves the old tables or the new, never a mix), and
  // deletes the old tables before it returns, so their disk is given back. No tombstone is
  // written. A write made while it runs is rewritten with the tables if a flush got it into one
  // before the rewrite began, and stays in the memtable otherwise (whatever `keep` says of it).
  // Runs on the compaction thread; the caller waits, and may follow it in `progress` (null: not
  // followed). Fails with the error of `rewrite.check` as it is; a failed file operation fails it
  // as it fails a compaction (writes stop).
  virtual Result<RewriteFigures> RewriteTables(const TableRewrite& rewrite,
                                               RewriteProgress* progress = nullptr) = 0;
  // Flush, wait for background work, sync the log: for a graceful stop.
  virtual Status Close() = 0;

  virtual EngineStats stats() const = 0;
};

}  // namespace kv
