#include "libkv/replication/hint_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include "libkv/base/coding.h"
#include "libkv/base/limits.h"
#include "libkv/membership/membership_format.h"
#include "libkv/replication/hint_format.h"

namespace kv {

namespace {

// Big-endian, unlike the rest of coding.h, so that byte order of keys is sequence order.
void PutBigEndian64(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}

uint64_t DecodeBigEndian64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < kHintSequenceBytes; i++) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

std::string HintKeyPrefix(std::string_view target) {
  std::string prefix(target);
  prefix.push_back(kHintKeySeparator);
  return prefix;
}

std::string EncodeHintKey(std::string_view target, uint64_t sequence) {
  std::string key = HintKeyPrefix(target);
  PutBigEndian64(&key, sequence);
  return key;
}

struct HintKey {
  std::string_view target;
  uint64_t sequence = 0;
};

Result<HintKey> ParseHintKey(std::string_view engine_key) {
  const size_t separator = engine_key.find(kHintKeySeparator);
  if (separator == std::string_view::npos || separator == 0)
    return Status::Corruption(fmt::format("malformed hint key {:?}: no target", engine_key));
  HintKey parsed{engine_key.substr(0, separator), 0};
  const std::string_view sequence = engine_key.substr(separator + 1);
  if (sequence.size() != kHintSequenceBytes)
    return Status::Corruption(
        fmt::format("malformed hint key of target {:?}: {} bytes after the separator, not {}",
                    parsed.target, sequence.size(), kHintSequenceBytes));
  parsed.sequence = DecodeBigEndian64(sequence);
  return parsed;
}

std::string EncodeHintRecord(std::string_view key, std::string_view siblings,
                             uint64_t created_micros) {
  std::string record;
  record.reserve(1 + 8 + 5 + key.size() + 5 + siblings.size());
  record.push_back(static_cast<char>(kHintFormatVersion));
  PutFixed64(&record, created_micros);
  PutLengthPrefixed(&record, key);
  PutLengthPrefixed(&record, siblings);
  return record;
}

}  // namespace

// docs/formats.md, "Hint store": anything but exactly one well-formed record is Corruption.
Result<Hint> DecodeHint(std::string_view engine_key, std::string_view record) {
  KV_ASSIGN_OR_RETURN(HintKey parsed, ParseHintKey(engine_key));
  auto corrupt = [&](std::string_view what) {
    return Status::Corruption(fmt::format("hint for target {:?} sequence {}: {} ({} record bytes)",
                                          parsed.target, parsed.sequence, what, record.size()));
  };
  std::string_view in = record;
  if (in.empty()) return corrupt("empty record");
  if (static_cast<uint8_t>(in[0]) != kHintFormatVersion)
    return corrupt(fmt::format("format version {}, this build reads {}",
                               static_cast<uint8_t>(in[0]), kHintFormatVersion));
  in.remove_prefix(1);
  Hint hint;
  std::string_view key, siblings;
  if (!GetFixed64(&in, &hint.created_micros)) return corrupt("truncated created_micros");
  if (!GetLengthPrefixed(&in, &key)) return corrupt("truncated key");
  if (key.empty()) return corrupt("empty key");
  if (!GetLengthPrefixed(&in, &siblings)) return corrupt("truncated sibling set");
  if (!in.empty()) return corrupt(fmt::format("{} trailing bytes", in.size()));
  hint.target = std::string(parsed.target);
  hint.sequence = parsed.sequence;
  hint.key = std::string(key);
  hint.siblings = std::string(siblings);
  return hint;
}

std::string HintDir(std::string_view data_dir) {
  return JoinPath(data_dir, kHintDirName);
}

HintStore::HintStore(HintStoreOptions options, std::unique_ptr<Engine> engine)
    : options_(std::move(options)),
      logger_(options_.logger ? options_.logger : spdlog::default_logger()),
      engine_(std::move(engine)) {}

Result<std::unique_ptr<HintStore>> HintStore::Open(HintStoreOptions options) {
  if (options.env == nullptr) return Status::InvalidArgument("hint store: no Env given");
  if (options.dir.empty()) return Status::InvalidArgument("hint store: no directory given");
  if (options.max_age.count() <= 0)
    return Status::InvalidArgument("hint store: max_age must be positive");
  if (options.max_target_bytes < kMinHintQuota || options.max_total_bytes < kMinHintQuota)
    return Status::InvalidArgument(
        fmt::format("hint store: quotas must be at least {} MiB", kMinHintQuota >> 20));
  EngineOptions engine_options;
  engine_options.env = options.env;
  engine_options.dir = options.dir;
  engine_options.sync = options.sync;
  engine_options.logger = options.logger;
  auto engine = Engine::Open(std::move(engine_options));
  if (!engine.ok())
    return engine.status().WithContext(fmt::format("opening hint store {}", options.dir));
  std::unique_ptr<HintStore> store(new HintStore(std::move(options), std::move(*engine)));

  // Count what is there, and continue sequence numbers above both every hint still stored and
  // every engine write so far (the engine's sequence survives restarts even when all hints were
  // delivered), so a sequence number is never given out twice.
  uint64_t max_sequence = 0;
  uint64_t malformed_keys = 0;
  uint64_t hints = 0;
  std::unique_ptr<Iterator> it = store->engine_->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const EntryView entry = it->entry();
    Result<HintKey> parsed = ParseHintKey(entry.key);
    if (!parsed.ok()) {
      // Left in place: DropExpired (or Pending, for one inside a target's range) drops it.
      malformed_keys++;
      continue;
    }
    max_sequence = std::max(max_sequence, parsed->sequence);
    HintBacklog& backlog = store->backlog_[std::string(parsed->target)];
    backlog.hints++;
    backlog.bytes += entry.key.size() + entry.value.size();
    store->total_bytes_ += entry.key.size() + entry.value.size();
    hints++;
  }
  if (!it->status().ok())
    return it->status().WithContext(fmt::format("counting hints in {}", store->options_.dir));
  store->next_sequence_ =
      std::max(max_sequence, store->engine_->stats().last_sequence) + uint64_t{1};
  if (malformed_keys > 0)
    store->logger_->error("hint store {}: {} entries with malformed keys (left to DropExpired)",
                          store->options_.dir, malformed_keys);
  store->logger_->info("hint store {}: {} hints for {} targets", store->options_.dir, hints,
                       store->backlog_.size());
  return store;
}

Status HintStore::CheckOpen() const {
  if (closed_) return Status::Unavailable(fmt::format("hint store {} is closed", options_.dir));
  return Status::Ok();
}

bool HintStore::Expired(uint64_t created_micros, uint64_t now_micros) const {
  // A hint from the future (the clock stepped back) is not expired; it ages from now on.
  return now_micros > created_micros &&
         now_micros - created_micros > static_cast<uint64_t>(options_.max_age.count());
}

Status HintStore::Add(std::string_view target, std::string_view key, std::string_view siblings,
                      uint64_t now_micros) {
  KV_RETURN_IF_ERROR(CheckOpen());
  if (target.empty()) return Status::InvalidArgument("a hint needs a target node");
  if (target.size() > kMaxNodeIdBytes)
    return Status::InvalidArgument(fmt::format("hint target of {} bytes; node ids have at most {}",
                                               target.size(), kMaxNodeIdBytes));
  if (target.find(kHintKeySeparator) != std::string_view::npos)
    return Status::InvalidArgument(fmt::format("hint target {:?} holds a 0 byte", target));
  KV_RETURN_IF_ERROR(CheckKey(key).WithContext("hint key"));

  const std::string record = EncodeHintRecord(key, siblings, now_micros);
  if (record.size() > kMaxStoredValueBytes)
    return Status::InvalidArgument(
        fmt::format("a hint of {} bytes (a {}-byte key) is over the store's {} byte limit; "
                    "leave this key to anti-entropy",
                    record.size(), key.size(), kMaxStoredValueBytes));
  const uint64_t sequence = next_sequence_.fetch_add(1);
  const std::string engine_key = EncodeHintKey(target, sequence);
  const uint64_t bytes = engine_key.size() + record.size();
  // Checked and counted together, before the write: once Put returns, Pending may hand the hint
  // out and Remove may uncount it before this thread runs again; and two writers checking apart
  // could pass the quota together.
  {
    std::lock_guard lock(mu_);
    auto found = backlog_.find(target);
    const uint64_t held = found == backlog_.end() ? 0 : found->second.bytes;
    if (held + bytes > options_.max_target_bytes)
      return Status::Unavailable(fmt::format(
          "the hints held for {:?} ({} bytes) would pass this node's quota of {} bytes per node "
          "(--hint-quota-per-node); anti-entropy repairs what is not hinted",
          target, held, options_.max_target_bytes));
    if (total_bytes_ + bytes > options_.max_total_bytes)
      return Status::Unavailable(fmt::format(
          "the hints held ({} bytes) would pass this node's quota of {} bytes (--hint-quota); "
          "anti-entropy repairs what is not hinted",
          total_bytes_, options_.max_total_bytes));
    HintBacklog& backlog = backlog_[std::string(target)];
    backlog.hints++;
    backlog.bytes += bytes;
    total_bytes_ += bytes;
  }
  Status s = engine_->Put(engine_key, record);
  std::lock_guard lock(mu_);
  if (!s.ok()) {
    UncountLocked(target, bytes);
    return s.WithContext(fmt::format("storing a hint for {:?}", target));
  }
  stats_.stored++;
  return Status::Ok();
}

Result<bool> HintStore::Erase(std::string_view engine_key) {
  std::lock_guard stripe(
      erase_stripes_[std::hash<std::string_view>{}(engine_key) % erase_stripes_.size()]);
  KV_ASSIGN_OR_RETURN(std::optional<std::string> current, engine_->Get(engine_key));
  if (!current) return false;
  KV_RETURN_IF_ERROR(engine_->Delete(engine_key));
  Result<HintKey> parsed = ParseHintKey(engine_key);
  if (!parsed.ok()) return true;  // never counted (Open skips malformed keys)
  const uint64_t bytes = engine_key.size() + current->size();
  std::lock_guard lock(mu_);
  UncountLocked(parsed->target, bytes);
  return true;
}

void HintStore::UncountLocked(std::string_view target, uint64_t bytes) {
  auto found = backlog_.find(target);
  if (found == backlog_.end()) return;
  // Clamped: a Put that failed after reaching the log was uncounted already, and its hint can
  // still turn up and be erased.
  found->second.hints -= std::min<uint64_t>(found->second.hints, 1);
  const uint64_t uncounted = std::min(found->second.bytes, bytes);
  found->second.bytes -= uncounted;
  total_bytes_ -= std::min(total_bytes_, uncounted);
  if (found->second.hints == 0) {
    total_bytes_ -= std::min(total_bytes_, found->second.bytes);
    backlog_.erase(found);
  }
}

Status HintStore::DropCorrupt(std::string_view engine_key, const Status& why) {
  Result<bool> erased = Erase(engine_key);
  if (!erased.ok()) {
    logger_->error("hint store {}: {}; could not drop it: {}", options_.dir, why.message(),
                   erased.status().ToString());
    return erased.status().WithContext(
        fmt::format("dropping an undecodable hint ({})", why.message()));
  }
  if (*erased) {
    logger_->error("hint store {}: dropped an undecodable hint: {}", options_.dir, why.message());
    std::lock_guard lock(mu_);
    stats_.corrupt++;
  }
  return why.WithContext(fmt::format("hint store {}", options_.dir));
}

Result<std::vector<Hint>> HintStore::Pending(std::string_view target, size_t max_count,
                                             size_t max_bytes, uint64_t now_micros) {
  KV_RETURN_IF_ERROR(CheckOpen());
  std::vector<Hint> hints;
  if (target.empty() || max_count == 0) return hints;
  const std::string prefix = HintKeyPrefix(target);
  uint64_t bytes = 0;
  std::unique_ptr<Iterator> it = engine_->NewIterator();
  for (it->Seek(prefix);
       it->Valid() && hints.size() < max_count && (hints.empty() || bytes < max_bytes);
       it->Next()) {
    const EntryView entry = it->entry();
    if (!entry.key.starts_with(prefix)) break;
    Result<Hint> hint = DecodeHint(entry.key, entry.value);
    if (!hint.ok()) {
      const std::string engine_key(entry.key);
      return DropCorrupt(engine_key, hint.status());
    }
    if (Expired(hint->created_micros, now_micros)) {
      KV_RETURN_IF_ERROR(DropExpiredHint(entry.key).status());
      continue;
    }
    bytes += hint->key.size() + hint->siblings.size();
    hints.push_back(std::move(*hint));
  }
  if (!it->status().ok())
    return it->status().WithContext(
        fmt::format("reading hints for {:?} in {}", target, options_.dir));
  return hints;
}

Result<bool> HintStore::DropExpiredHint(std::string_view engine_key) {
  KV_ASSIGN_OR_RETURN(bool erased, Erase(engine_key));
  if (erased) {
    std::lock_guard lock(mu_);
    stats_.expired++;
  }
  return erased;
}

Status HintStore::Remove(std::string_view target, uint64_t sequence) {
  KV_RETURN_IF_ERROR(CheckOpen());
  KV_ASSIGN_OR_RETURN(bool erased, Erase(EncodeHintKey(target, sequence)));
  if (erased) {
    std::lock_guard lock(mu_);
    stats_.delivered++;
  }
  return Status::Ok();
}

std::map<std::string, HintBacklog> HintStore::PendingCounts() const {
  std::lock_guard lock(mu_);
  return {backlog_.begin(), backlog_.end()};
}

Result<uint64_t> HintStore::DropExpired(uint64_t now_micros) {
  KV_RETURN_IF_ERROR(CheckOpen());
  uint64_t expired = 0;
  Status first_corruption;
  std::unique_ptr<Iterator> it = engine_->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const EntryView entry = it->entry();
    Result<Hint> hint = DecodeHint(entry.key, entry.value);
    if (!hint.ok()) {
      const std::string engine_key(entry.key);
      Status dropped = DropCorrupt(engine_key, hint.status());
      if (!dropped.Is(ErrorCode::kCorruption)) return dropped;  // could not write
      if (first_corruption.ok()) first_corruption = dropped;
      continue;
    }
    if (!Expired(hint->created_micros, now_micros)) continue;
    KV_ASSIGN_OR_RETURN(bool erased, DropExpiredHint(entry.key));
    if (erased) expired++;
  }
  if (!it->status().ok())
    return it->status().WithContext(fmt::format("dropping expired hints in {}", options_.dir));
  if (!first_corruption.ok()) return first_corruption;
  return expired;
}

uint64_t HintStore::total_bytes() const {
  std::lock_guard lock(mu_);
  return total_bytes_;
}

HintStats HintStore::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Status HintStore::Close() {
  if (closed_.exchange(true)) return Status::Ok();
  return engine_->Close().WithContext(fmt::format("closing hint store {}", options_.dir));
}

}  // namespace kv
