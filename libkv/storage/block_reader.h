// BlockReader: walks and searches one data block (docs/formats.md, "SSTable", data block) whose
// bytes the caller owns and keeps alive. Every decode is bounds-checked: malformed bytes end the
// walk with a Corruption naming the file and the byte offset, never a crash or a wrong entry.
// One thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/storage/entry.h"

namespace kv {

// "PATH: corruption at offset N: WHAT" as a Corruption status; every table reader error uses it.
Status TableCorruption(std::string_view path, uint64_t offset, std::string_view what);

class BlockReader {
 public:
  BlockReader() = default;
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // Checks the restart array of `contents` (the block without its trailer). `path` and
  // `file_offset` (where the block starts in the file) only name places in error messages; path
  // must outlive the reader. Leaves the reader unpositioned.
  Status Init(std::string_view contents, std::string_view path, uint64_t file_offset);

  bool Valid() const { return valid_; }
  // Forgets the block: not Valid, status Ok.
  void Clear() {
    valid_ = false;
    status_ = Status::Ok();
  }
  void SeekToFirst();
  // Positions at the first entry whose key >= target.
  void Seek(std::string_view target);
  // REQUIRES: Valid()
  void Next();

  // REQUIRES: Valid(). Views stay good until the next move.
  std::string_view key() const { return key_; }
  EntryView entry() const { return EntryView{key_, seq_, kind_, value_}; }
  // The key of the last entry decoded; after a walk ran off the end, the block's last key.
  std::string_view last_key_seen() const { return key_; }
  // Not Ok when a walk stopped on malformed bytes; then Valid() is false.
  const Status& status() const { return status_; }

 private:
  // Decodes the entry at `offset` into key_/seq_/kind_/value_ (key_ holds the previous key, whose
  // prefix it shares) and sets next_offset_. With check_order, the key must exceed the previous.
  bool DecodeAt(uint32_t offset, bool check_order);
  uint32_t RestartPoint(uint32_t index) const;
  void Fail(uint32_t offset, std::string_view what);

  std::string_view data_;
  std::string_view path_;
  uint64_t file_offset_ = 0;
  uint32_t restarts_offset_ = 0;  // where the restart array starts; entries end there
  uint32_t num_restarts_ = 0;

  bool valid_ = false;
  uint32_t next_offset_ = 0;
  std::string key_;
  SequenceNumber seq_ = 0;
  EntryKind kind_ = EntryKind::kValue;
  std::string_view value_;
  Status status_;
};

}  // namespace kv
