// Iterator: a sorted walk over entries, one entry per key, in ascending byte order of keys
// (memcmp, shorter first on a tie). Memtables, SSTables and the merge of several of them all
// present this interface, so compaction and scans treat them alike. Not thread-safe; the source
// must outlive the iterator unless the source's comment says the iterator pins it.
#pragma once

#include <string_view>

#include "libkv/base/status.h"
#include "libkv/storage/entry.h"

namespace kv {

class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid()
  virtual void Next() = 0;
  // REQUIRES: Valid(). The view stays good until the next move of the iterator.
  virtual EntryView entry() const = 0;
  // Not Ok when the walk stopped on an error (corruption, I/O); then Valid() is false.
  virtual Status status() const = 0;
};

}  // namespace kv
