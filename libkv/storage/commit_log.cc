#include "libkv/storage/commit_log.h"

#include <fmt/format.h>

#include "libkv/base/coding.h"
#include "libkv/storage/commit_log_format.h"
#include "libkv/storage/record_framing.h"

namespace kv {
namespace {

using commit_log::RecordType;

void EncodeBody(std::string* dst, EntryKind kind, std::string_view key, std::string_view value) {
  dst->push_back(static_cast<char>(kind));
  PutLengthPrefixed(dst, key);
  PutLengthPrefixed(dst, value);
}

bool DecodeBody(std::string_view* in, EntryView* e) {
  if (in->empty()) return false;
  const auto kind = static_cast<EntryKind>((*in)[0]);
  if (kind != EntryKind::kValue && kind != EntryKind::kTombstone) return false;
  in->remove_prefix(1);
  e->kind = kind;
  return GetLengthPrefixed(in, &e->key) && GetLengthPrefixed(in, &e->value) && !e->key.empty();
}

}  // namespace

void EncodeWriteRecord(std::string* dst, SequenceNumber seq, EntryKind kind, std::string_view key,
                       std::string_view value) {
  const size_t start = BeginRecord(dst);
  PutVarint64(dst, seq);
  EncodeBody(dst, kind, key, value);
  FinishRecord(dst, start, static_cast<uint8_t>(RecordType::kWrite));
}

BatchRecordBuilder::BatchRecordBuilder(std::string* dst, SequenceNumber first_seq, uint32_t count)
    : dst_(dst), start_(BeginRecord(dst)) {
  PutVarint64(dst_, first_seq);
  PutVarint32(dst_, count);
}

void BatchRecordBuilder::Add(EntryKind kind, std::string_view key, std::string_view value) {
  EncodeBody(dst_, kind, key, value);
}

void BatchRecordBuilder::Finish() {
  FinishRecord(dst_, start_, static_cast<uint8_t>(RecordType::kBatch));
}

Status CommitLogWriter::Append(std::string_view records) {
  std::lock_guard lock(mu_);
  if (closed_) return Status::IOError("append to closed commit log " + path_);
  KV_RETURN_IF_ERROR(file_->Append(records));
  return file_->Flush();
}

Status CommitLogWriter::Sync() {
  std::lock_guard lock(mu_);
  if (closed_) return Status::Ok();
  const uint64_t size = file_->Size();
  if (size == synced_size_) return Status::Ok();
  KV_RETURN_IF_ERROR(file_->Sync());
  synced_size_ = size;
  return Status::Ok();
}

Status CommitLogWriter::Close(bool sync) {
  std::lock_guard lock(mu_);
  if (closed_) return Status::Ok();
  if (sync && file_->Size() != synced_size_) KV_RETURN_IF_ERROR(file_->Sync());
  closed_ = true;
  return file_->Close();
}

uint64_t CommitLogWriter::size() const {
  std::lock_guard lock(mu_);
  return file_->Size();
}

Result<ReplayResult> ReplayCommitLog(Env* env, const std::string& path,
                                     const std::function<void(const EntryView&)>& apply) {
  KV_ASSIGN_OR_RETURN(std::string contents, env->ReadFileToString(path));
  ReplayResult result;
  constexpr uint32_t kTypes =
      (1u << static_cast<int>(RecordType::kWrite)) | (1u << static_cast<int>(RecordType::kBatch));
  RecordScanner scanner(contents, kTypes);
  while (true) {
    uint8_t type;
    std::string_view payload;
    switch (scanner.Next(&type, &payload)) {
      case RecordScanner::Outcome::kEnd:
        return result;
      case RecordScanner::Outcome::kTornTail:
        result.truncated_bytes = contents.size() - scanner.offset();
        KV_RETURN_IF_ERROR(env->TruncateFile(path, scanner.offset()));
        return result;
      case RecordScanner::Outcome::kCorrupted:
        return Status::Corruption(fmt::format(
            "commit log {}: damaged record at offset {} with valid records after it; the log "
            "cannot be replayed safely (restore the node's data or move the file away to accept "
            "the loss)",
            path, scanner.offset()));
      case RecordScanner::Outcome::kRecord:
        break;
    }
    const uint64_t offset = scanner.offset();
    auto bad = [&] {
      return Status::Corruption(
          fmt::format("commit log {}: record at offset {} does not parse", path, offset));
    };
    EntryView e;
    if (type == static_cast<uint8_t>(RecordType::kWrite)) {
      if (!GetVarint64(&payload, &e.seq) || !DecodeBody(&payload, &e) || !payload.empty())
        return bad();
      apply(e);
      result.records++;
      result.max_seq = std::max(result.max_seq, e.seq);
    } else {
      uint64_t first;
      uint32_t count;
      if (!GetVarint64(&payload, &first) || !GetVarint32(&payload, &count)) return bad();
      for (uint32_t i = 0; i < count; i++) {
        e.seq = first + i;
        if (!DecodeBody(&payload, &e)) return bad();
        apply(e);
      }
      if (!payload.empty()) return bad();
      result.records += count;
      if (count > 0) result.max_seq = std::max(result.max_seq, first + count - 1);
    }
  }
}

}  // namespace kv
