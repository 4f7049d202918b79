#include "libkv/replication/tombstone_gc.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "libkv/base/checksum.h"
#include "libkv/base/coding.h"
#include "libkv/replication/tombstone_gc_format.h"
#include "libkv/versioning/sibling_set.h"

namespace kv {
namespace {

bool Overlap(const TokenRange& a, const TokenRange& b) {
  return a.Contains(b.end) || b.Contains(a.end);
}

}  // namespace

TombstoneGc::TombstoneGc(TombstoneGcOptions options)
    : options_(std::move(options)),
      logger_(options_.logger ? options_.logger : spdlog::default_logger()) {}

std::shared_ptr<TombstoneGc> TombstoneGc::Open(TombstoneGcOptions options) {
  std::shared_ptr<TombstoneGc> gc(new TombstoneGc(std::move(options)));
  const TombstoneGcOptions& o = gc->options_;
  if (o.path.empty() || !o.env->FileExists(o.path)) return gc;
  Result<std::string> bytes = o.env->ReadFileToString(o.path);
  Result<std::vector<Record>> records =
      bytes.ok() ? DecodeRecords(*bytes) : Result<std::vector<Record>>(bytes.status());
  if (!records.ok()) {
    gc->logger_->warn("{}: {}; ignored: deleted keys are purged after the next complete repair",
                      o.path, records.status().message());
    return gc;
  }
  gc->records_ = std::move(*records);
  return gc;
}

uint64_t TombstoneGc::LastCompleteRepair(Token token) const {
  std::lock_guard lock(mu_);
  for (const Record& r : records_)
    if (r.range.Contains(token)) return r.started_micros;
  return 0;
}

std::optional<uint64_t> TombstoneGc::PurgeHorizon(uint64_t last_repair_micros) const {
  const uint64_t grace = static_cast<uint64_t>(options_.grace.count()) * 1'000'000;
  // Only to show what the rule prevents (a positive control): the grace period alone.
  const uint64_t since =
      options_.require_complete_repair ? last_repair_micros : options_.wall_micros();
  // A repair that began a grace after the tombstone was written handed it to every replica.
  if (since == 0 || since < grace) return std::nullopt;
  return since - grace;
}

TombstoneGc::RangeState TombstoneGc::StateOf(const TokenRange& range) const {
  RangeState state;
  {
    std::lock_guard lock(mu_);
    // Walk the disjoint records clockwise from the range's start, through the one holding the
    // next token each time, until one reaches the range's end; a gap is a part never repaired.
    Token covered_to = range.start;
    uint64_t oldest = UINT64_MAX;
    for (size_t step = 0; step <= records_.size() && state.last_complete_repair_micros == 0;
         ++step) {
      auto next = std::find_if(records_.begin(), records_.end(), [&](const Record& r) {
        return r.range.Contains(covered_to + 1);  // wraps past the top, as tokens do
      });
      if (next == records_.end()) break;
      oldest = std::min(oldest, next->started_micros);
      if (TokenRange{covered_to, next->range.end}.Contains(range.end))
        state.last_complete_repair_micros = oldest;
      covered_to = next->range.end;
    }
  }
  state.purge_written_by_micros = PurgeHorizon(state.last_complete_repair_micros);
  return state;
}

bool TombstoneGc::IsObsolete(std::string_view key, std::string_view value) {
  const std::optional<uint64_t> newest_or = SiblingSet::NewestTombstoneIfOnlyTombstones(value);
  if (!newest_or) return false;
  // Only what Decode accepts: a damaged set is kept for the read path to report.
  if (!SiblingSet::Decode(value).ok()) return false;
  const std::optional<uint64_t> horizon =
      PurgeHorizon(options_.require_complete_repair ? LastCompleteRepair(KeyToken(key)) : 0);
  // A timestamp from the far future is never at or before it.
  const bool purge = horizon && *newest_or <= *horizon;
  if (purge) purged_.fetch_add(1, std::memory_order_relaxed);
  return purge;
}

Status TombstoneGc::RecordRepair(const TokenRange& range, uint64_t started_micros,
                                 bool reached_every_replica) {
  if (!reached_every_replica && options_.require_every_replica) return Status::Ok();
  return RecordCompleteRepair(range, started_micros);
}

Status TombstoneGc::RecordCompleteRepair(const TokenRange& range, uint64_t started_micros) {
  std::lock_guard file_lock(file_mu_);
  std::string bytes;
  {
    std::lock_guard lock(mu_);
    std::erase_if(records_, [&](const Record& r) { return Overlap(r.range, range); });
    records_.push_back(Record{range, started_micros});
    if (!options_.path.empty()) bytes = EncodeRecords(records_);
  }
  if (options_.path.empty()) return Status::Ok();
  return options_.env->WriteFileAtomically(options_.path, bytes);
}

std::string TombstoneGc::EncodeRecords(const std::vector<Record>& records) {
  std::string out;
  out.push_back(static_cast<char>(kRepairRecordFormatVersion));
  PutVarint32(&out, static_cast<uint32_t>(records.size()));
  for (const Record& r : records) {
    PutFixed64(&out, r.range.start);
    PutFixed64(&out, r.range.end);
    PutFixed64(&out, r.started_micros);
  }
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  return out;
}

Result<std::vector<TombstoneGc::Record>> TombstoneGc::DecodeRecords(std::string_view in) {
  if (in.size() < 1 + 1 + 4) return Status::Corruption("repair record: truncated");
  const std::string_view body = in.substr(0, in.size() - 4);
  std::string_view crc_bytes = in.substr(in.size() - 4);
  uint32_t crc = 0;
  if (!GetFixed32(&crc_bytes, &crc) || UnmaskCrc(crc) != Crc32c(body))
    return Status::Corruption("repair record: checksum mismatch");
  if (static_cast<uint8_t>(body[0]) != kRepairRecordFormatVersion)
    return Status::Corruption(
        fmt::format("repair record: unknown format version {}", static_cast<uint8_t>(body[0])));
  std::string_view rest = body.substr(1);
  uint32_t count = 0;
  if (!GetVarint32(&rest, &count) || rest.size() != uint64_t{count} * kRepairRecordBytes)
    return Status::Corruption("repair record: bad record count");
  std::vector<Record> records(count);
  for (Record& r : records) {
    if (!GetFixed64(&rest, &r.range.start) || !GetFixed64(&rest, &r.range.end) ||
        !GetFixed64(&rest, &r.started_micros))
      return Status::Corruption("repair record: truncated");
  }
  return records;
}

}  // namespace kv
