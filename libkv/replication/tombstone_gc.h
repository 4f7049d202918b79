// TombstoneGc: when a replica may forget a deleted key for good. A cluster delete is a tombstone
// version in the key's sibling set, and it must outlive every copy of what it deleted: dropped
// while some replica still holds the old value, that value comes back at the next read repair or
// anti-entropy session (DESIGN.md, "Data model"). The rule (docs/architecture.md, "Tombstone
// GC"): a key's sibling set may be dropped when every version in it is a tombstone and a repair
// of the key's token range that reached every replica (all N, as a settled view names them) and
// finished without error began at least `grace` after the newest tombstone was written. That
// repair handed the tombstone (or whatever supersedes it) to every replica, and waiting `grace`
// past the write also absorbs clock skew between the deleting coordinator and the repairing node,
// and outlives hints of older writes.
//
// AntiEntropy reports its repairs here (RecordRepair), which keeps the complete ones; the engine
// asks IsObsolete from its compaction thread (EngineOptions::value_is_obsolete), only where
// dropping the newest version of a key leaves nothing older of it. The records persist in a small
// file (docs/formats.md, "Repair record"), so a restart does not wait for the next repair; a lost
// or damaged file only delays purging. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/ring/token.h"

namespace spdlog {
class logger;
}

namespace kv {

struct TombstoneGcOptions {
  Env* env = nullptr;  // not owned
  std::string path;    // the repair record file; empty: records kept in memory only
  // kvnode --tombstone-grace-s. A day: eight times the 3-hour hint window, far beyond any sane
  // clock skew (docs/architecture.md, "Tombstone GC", on why not Cassandra's 10 days).
  std::chrono::seconds grace{24 * 3600};
  // Off only to show what the rule prevents (a test's positive control): purge on the grace
  // period alone, whether or not every replica has the tombstone.
  bool require_complete_repair = true;
  // Off only to show what the rule prevents (a test's positive control): record a repair that
  // reached every replica it knew of, even when that was fewer than the N a range has (a view
  // that had not reached the cluster, a ring smaller than N).
  bool require_every_replica = true;
  std::function<uint64_t()> wall_micros;   // required
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
};

class TombstoneGc {
 public:
  // Loads the records in options.path; a missing file is none, a damaged one is logged and
  // ignored (nothing is purged until the next complete repair: safe).
  static std::shared_ptr<TombstoneGc> Open(TombstoneGcOptions options);

  // For EngineOptions::value_is_obsolete: whether `value` (an encoded sibling set of `key`) is
  // tombstones only, all purgeable by the rule above. False for anything it cannot decode.
  bool IsObsolete(std::string_view key, std::string_view value);

  // A repair of `range` that began at `started_micros` (this node's wall clock) reached every
  // replica and converged. Replaces the records it overlaps (made under another ring, or older),
  // then rewrites the file. IOError when the file cannot be written (the record still counts in
  // memory).
  Status RecordCompleteRepair(const TokenRange& range, uint64_t started_micros);
  // AntiEntropy's report of a repair of `range`, begun at `started_micros`, in which no session
  // failed: `reached_every_replica` when a settled view named N replicas for every part of the
  // range, this node among them, and the repair reached all the others. Recorded
  // (RecordCompleteRepair) only then; Ok when nothing was recorded.
  Status RecordRepair(const TokenRange& range, uint64_t started_micros, bool reached_every_replica);

  // When the last complete repair covering `token` began; 0 for none.
  uint64_t LastCompleteRepair(Token token) const;

  // Where a range stands for tombstone GC (kvrepair --status, Riak's aae-status): the last
  // complete repair of all of it, and which tombstones the rule above lets compaction purge there.
  struct RangeState {
    // When the oldest of the complete repairs that together cover the range began; 0: some part
    // of it has never been completely repaired.
    uint64_t last_complete_repair_micros = 0;
    // A key there whose newest tombstone was written at or before this may be purged; none may
    // when unset (never repaired, or repaired less than a grace after the epoch).
    std::optional<uint64_t> purge_written_by_micros;
  };
  RangeState StateOf(const TokenRange& range) const;
  std::chrono::seconds grace() const { return options_.grace; }

  // Sibling sets dropped since Open (every compaction that dropped one, on any table).
  uint64_t purged() const { return purged_.load(std::memory_order_relaxed); }

  struct Record {
    TokenRange range;
    uint64_t started_micros = 0;
    friend bool operator==(const Record&, const Record&) = default;
  };
  // docs/formats.md, "Repair record".
  static std::string EncodeRecords(const std::vector<Record>& records);
  static Result<std::vector<Record>> DecodeRecords(std::string_view bytes);

 private:
  explicit TombstoneGc(TombstoneGcOptions options);
  // The rule, in one place: tombstones written at or before the returned time may be purged where
  // the last complete repair began at `last_repair_micros` (0: none); none may when unset.
  std::optional<uint64_t> PurgeHorizon(uint64_t last_repair_micros) const;

  TombstoneGcOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  mutable std::mutex mu_;
  std::vector<Record> records_;  // GUARDED_BY(mu_); pairwise disjoint ranges
  std::mutex file_mu_;           // one rewrite of the file at a time, in record order
  std::atomic<uint64_t> purged_{0};
};

}  // namespace kv
