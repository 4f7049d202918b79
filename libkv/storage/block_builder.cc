#include "libkv/storage/block_builder.h"

#include <algorithm>
#include <cassert>

#include "libkv/base/coding.h"

namespace kv {

BlockBuilder::BlockBuilder(int restart_interval)
    : restart_interval_(std::max(restart_interval, 1)) {
  restarts_.push_back(0);
}

void BlockBuilder::Reset() {
  buffer_.clear();
  restarts_.clear();
  restarts_.push_back(0);
  since_restart_ = 0;
  entries_ = 0;
  last_key_.clear();
  finished_ = false;
}

void BlockBuilder::Add(const EntryView& entry) {
  assert(!finished_);
  assert(entries_ == 0 || entry.key > std::string_view(last_key_));
  size_t shared = 0;
  if (since_restart_ >= restart_interval_) {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    since_restart_ = 0;
  } else {
    const size_t limit = std::min(last_key_.size(), entry.key.size());
    while (shared < limit && last_key_[shared] == entry.key[shared]) ++shared;
  }
  const std::string_view value =
      entry.kind == EntryKind::kTombstone ? std::string_view() : entry.value;
  PutVarint32(&buffer_, static_cast<uint32_t>(shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(entry.key.size() - shared));
  PutVarint32(&buffer_, static_cast<uint32_t>(value.size()));
  buffer_.append(entry.key.data() + shared, entry.key.size() - shared);
  buffer_.push_back(static_cast<char>(entry.kind));
  PutVarint64(&buffer_, entry.seq);
  buffer_.append(value);
  last_key_.resize(shared);
  last_key_.append(entry.key.data() + shared, entry.key.size() - shared);
  ++since_restart_;
  ++entries_;
}

std::string_view BlockBuilder::Finish() {
  if (!finished_) {
    for (uint32_t r : restarts_) PutFixed32(&buffer_, r);
    PutFixed32(&buffer_, static_cast<uint32_t>(restarts_.size()));
    finished_ = true;
  }
  return buffer_;
}

}  // namespace kv
