// The commit log: every write is appended here before it enters the memtable, so that a crash
// loses nothing acknowledged (docs/formats.md, "Commit log"; constants in commit_log_format.h).
// One file per memtable (NNNNNN.log); the engine's write leader encodes a group of writes into
// records and appends them with one call, then syncs once for the whole group.
//
// Threads: CommitLogWriter serialises its callers with its own mutex, so the write leader and the
// periodic syncer may call it at once. ReplayCommitLog is a plain function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/storage/entry.h"

namespace kv {

// Appends a kWrite record holding one write.
void EncodeWriteRecord(std::string* dst, SequenceNumber seq, EntryKind kind, std::string_view key,
                       std::string_view value);

// Encodes one kBatch record of `count` writes with consecutive sequence numbers straight into
// dst: construct, Add exactly `count` writes, Finish.
class BatchRecordBuilder {
 public:
  BatchRecordBuilder(std::string* dst, SequenceNumber first_seq, uint32_t count);
  void Add(EntryKind kind, std::string_view key, std::string_view value);
  void Finish();

 private:
  std::string* dst_;
  size_t start_;
};

class CommitLogWriter {
 public:
  CommitLogWriter(std::string path, uint64_t number, std::unique_ptr<WritableFile> file)
      : path_(std::move(path)), number_(number), file_(std::move(file)) {}

  // Appends framed records and hands them to the OS (they survive a process crash).
  Status Append(std::string_view records);
  // Makes everything appended so far durable. Ok (doing nothing) once closed.
  Status Sync();
  // Syncs first when `sync`; then closes. The periodic syncer may still hold this writer.
  Status Close(bool sync);

  const std::string& path() const { return path_; }
  uint64_t number() const { return number_; }
  uint64_t size() const;

 private:
  const std::string path_;
  const uint64_t number_;
  mutable std::mutex mu_;
  std::unique_ptr<WritableFile> file_;  // GUARDED_BY(mu_)
  uint64_t synced_size_ = 0;            // GUARDED_BY(mu_)
  bool closed_ = false;                 // GUARDED_BY(mu_)
};

struct ReplayResult {
  uint64_t records = 0;  // writes replayed (a batch counts each write)
  SequenceNumber max_seq = 0;
  uint64_t truncated_bytes = 0;  // torn tail cut off the file
};

// Reads the log at path and calls `apply` for each write in order. A torn tail is truncated off
// the file (TruncateFile) and counted; a damaged record followed by valid ones is Corruption
// naming the file and offset. A record that passes its checksum but does not parse is
// Corruption as well.
Result<ReplayResult> ReplayCommitLog(Env* env, const std::string& path,
                                     const std::function<void(const EntryView&)>& apply);

}  // namespace kv
