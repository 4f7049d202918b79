// HintStore: the hints a node holds for others (sloppy quorum, hinted handoff). When a replica of
// a key is down, a fallback node keeps the key's sibling set with a hint naming the intended
// owner (the target) until it can hand it off. Hints live in their own engine, in their own
// directory (HintDir), which gives them the engine's checksummed, group-committed commit log,
// crash recovery and compaction; the layout is docs/formats.md, "Hint store". A hint older than
// max_age is dropped and counted instead of delivered: anti-entropy repairs what it carried.
// The store is bounded by two quotas of engine bytes, per target and in all: a hint past either
// is refused (Unavailable), not stored, so that no peer — a hostile one, or a long outage — can
// fill the disk with hints; the writes refused are left to anti-entropy.
//
// Threads: every method is safe to call from many threads at once. Add, Remove, Pending and
// DropExpired write to the engine and so, in batch sync, wait for an fsync: call them from the
// node's engine pool, never from an I/O thread. Time is passed in (now_micros, microseconds since
// the Unix epoch); the store has no clock of its own.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/storage/engine.h"

namespace spdlog {
class logger;
}

namespace kv {

inline constexpr uint64_t kDefaultHintQuotaPerTarget = uint64_t{1} << 30;
inline constexpr uint64_t kDefaultHintQuota = uint64_t{4} << 30;
// A quota must hold one largest hint (a 17 MiB sibling set with its key) and some more.
inline constexpr uint64_t kMinHintQuota = uint64_t{32} << 20;

struct HintStoreOptions {
  Env* env = nullptr;  // required; not owned
  std::string dir;     // the store's own directory (HintDir of the node's data dir); created
  SyncMode sync = SyncMode::kBatch;
  // A hint older than this is dropped instead of delivered (Cassandra's max_hint_window).
  std::chrono::microseconds max_age = std::chrono::hours(3);
  // Quotas of engine bytes (a hint's key and record), for one target and for all of them
  // (kvnode --hint-quota-per-node, --hint-quota).
  uint64_t max_target_bytes = kDefaultHintQuotaPerTarget;
  uint64_t max_total_bytes = kDefaultHintQuota;
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
};

struct Hint {
  std::string target;     // the node the sibling set is for
  uint64_t sequence = 0;  // unique in this store, never reused; larger is newer
  std::string key;
  std::string siblings;  // the encoded sibling set, opaque here
  uint64_t created_micros = 0;
};

// One target's backlog.
struct HintBacklog {
  uint64_t hints = 0;
  uint64_t bytes = 0;  // engine key and record bytes
};

// Counted since Open.
struct HintStats {
  uint64_t stored = 0;     // Add calls that succeeded
  uint64_t delivered = 0;  // hints Remove took out
  uint64_t expired = 0;    // hints dropped for age
  uint64_t corrupt = 0;    // stored hints that did not decode, dropped (and logged)
};

// "<data_dir>/hints"
std::string HintDir(std::string_view data_dir);

// The hint stored under `engine_key` as `record` (docs/formats.md, "Hint store"); Corruption
// naming target and sequence for anything else. For the store and for kvsstdump --decode.
Result<Hint> DecodeHint(std::string_view engine_key, std::string_view record);

class HintStore {
 public:
  // Opens (creating when missing) the store in options.dir and counts its hints per target.
  // Fails as Engine::Open does (Corruption naming file and offset, Unavailable when another
  // process holds the directory).
  static Result<std::unique_ptr<HintStore>> Open(HintStoreOptions options);

  // Keeps a hint of `siblings` for `target`. Durable as the sync mode promises when it returns
  // Ok. InvalidArgument (nothing written) for an empty target or one of more than 255 bytes or
  // holding a 0 byte, an empty or oversized key, or a record over the engine's 17 MiB value
  // limit (a largest sibling set with a long key: leave that key to anti-entropy). Unavailable
  // (nothing written) when the hint would take the target's backlog or the store past its quota.
  Status Add(std::string_view target, std::string_view key, std::string_view siblings,
             uint64_t now_micros);

  // Up to max_count of target's hints, oldest first, stopping after the one that brings their
  // key and sibling bytes to max_bytes (so at least one is returned when there is one). Hints
  // older than max_age at now_micros are deleted and counted as expired on the way, not
  // returned. A stored hint that does not decode is never returned: it is deleted, counted as
  // corrupt and logged, and the call fails with Corruption naming target and sequence; the next
  // call goes on past it.
  Result<std::vector<Hint>> Pending(std::string_view target, size_t max_count, size_t max_bytes,
                                    uint64_t now_micros);

  // The target acknowledged the hint: it is deleted. Ok as well when it is already gone
  // (delivered twice, or expired meanwhile); only a hint actually deleted counts as delivered.
  Status Remove(std::string_view target, uint64_t sequence);
  Status Remove(const Hint& hint) { return Remove(hint.target, hint.sequence); }

  // Every target with hints, and its backlog. Kept in memory (counted at Open), so cheap.
  std::map<std::string, HintBacklog> PendingCounts() const;
  // The bytes of every target's backlog together (what max_total_bytes bounds).
  uint64_t total_bytes() const;

  // Deletes every hint older than max_age at now_micros, of every target, and returns how many.
  // Undecodable hints met on the way are deleted too (counted as corrupt); if there were any,
  // the sweep still finishes and then fails with Corruption naming the first.
  Result<uint64_t> DropExpired(uint64_t now_micros);

  HintStats stats() const;

  // Closes the engine (syncing its log). Later calls fail with Unavailable.
  Status Close();

 private:
  HintStore(HintStoreOptions options, std::unique_ptr<Engine> engine);

  Status CheckOpen() const;
  bool Expired(uint64_t created_micros, uint64_t now_micros) const;
  // Deletes the entry at engine_key if it is there; true when this call deleted it. Keeps the
  // backlog counts in step.
  Result<bool> Erase(std::string_view engine_key);
  Result<bool> DropExpiredHint(std::string_view engine_key);
  // REQUIRES: mu_ held
  void UncountLocked(std::string_view target, uint64_t bytes);
  // Drops an entry that did not decode (`why`), counting and logging it; returns `why`.
  Status DropCorrupt(std::string_view engine_key, const Status& why);

  const HintStoreOptions options_;
  const std::shared_ptr<spdlog::logger> logger_;
  const std::unique_ptr<Engine> engine_;
  std::atomic<uint64_t> next_sequence_{1};
  std::atomic<bool> closed_{false};

  // Serialise Get-then-Delete per key, so two callers deleting one hint count it once.
  std::array<std::mutex, 16> erase_stripes_;

  mutable std::mutex mu_;
  std::map<std::string, HintBacklog, std::less<>> backlog_;  // GUARDED_BY(mu_); no empty entries
  uint64_t total_bytes_ = 0;  // GUARDED_BY(mu_): backlog_'s bytes summed
  HintStats stats_;           // GUARDED_BY(mu_)
};

}  // namespace kv
