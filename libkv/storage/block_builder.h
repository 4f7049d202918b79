// BlockBuilder: encodes entries, added in strictly ascending key order, into one data block with
// prefix-compressed keys and a restart array (docs/formats.md, "SSTable", data block). Owned and
// used by one TableWriter, so one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/storage/entry.h"

namespace kv {

class BlockBuilder {
 public:
  // restart_interval: entries between full keys (values below 1 count as 1).
  explicit BlockBuilder(int restart_interval);

  // REQUIRES: entry.key > the key added before it since the last Reset.
  void Add(const EntryView& entry);
  // Appends the restart array and returns the block; the view is valid until Reset or Add.
  std::string_view Finish();
  void Reset();

  // Size the block would have if finished now.
  size_t SizeEstimate() const { return buffer_.size() + 4 * restarts_.size() + 4; }
  bool empty() const { return entries_ == 0; }
  std::string_view last_key() const { return last_key_; }

 private:
  int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int since_restart_ = 0;
  uint64_t entries_ = 0;
  std::string last_key_;
  bool finished_ = false;
};

}  // namespace kv
