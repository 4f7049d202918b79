// MemTable: the sorted in-memory table that takes every write before it is flushed to an SSTable.
// A skiplist in an arena (LevelDB's design) holding one node per key; a write to a key that is
// already there links a new version in front of the old one, so readers see the newest version
// and a snapshot iterator can still find the version it started with. A hash index over the same
// nodes answers point lookups without walking the skiplist (a skiplist lookup is a chain of
// cache misses; the hash chain is one or two).
//
// Threads: one writer at a time (the engine's write leader) calls Add; any number of readers may
// call Get and iterate at the same time without locks (atomic pointers, release/acquire). Shared
// by shared_ptr; an iterator pins its memtable.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "libkv/storage/arena.h"
#include "libkv/storage/entry.h"
#include "libkv/storage/iterator.h"

namespace kv {

class MemTable : public std::enable_shared_from_this<MemTable> {
 public:
  // `log_number`: the commit log file that holds this memtable's writes (0 when none).
  // `expected_bytes` sizes the hash index (it works at any size, slower when much larger).
  explicit MemTable(uint64_t log_number = 0, size_t expected_bytes = 4 << 20);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // REQUIRES: one caller at a time; seq greater than any seq added for this key.
  void Add(SequenceNumber seq, EntryKind kind, std::string_view key, std::string_view value);

  // The newest version of key, viewing memory that lives as long as this memtable.
  std::optional<EntryView> Get(std::string_view key) const;

  // Iterates the newest version of each key with seq <= snapshot (keys with no such version are
  // skipped). Pins this memtable.
  std::unique_ptr<Iterator> NewIterator(SequenceNumber snapshot = ~SequenceNumber{0}) const;

  // What the keys, values and skiplist nodes take (the trigger for a flush).
  size_t ApproximateBytes() const { return arena_.AllocatedBytes(); }
  // Memory held: the arena's blocks (including the unused end of the current one) and the hash
  // index. What the engine's memtable budget counts.
  size_t MemoryUsage() const {
    return arena_.MemoryUsage() + buckets_.size() * sizeof(std::atomic<Node*>);
  }
  uint64_t entries() const { return entries_.load(std::memory_order_relaxed); }
  uint64_t log_number() const { return log_number_; }
  bool empty() const { return entries() == 0; }

  struct Version;  // a value or tombstone of one key, newest first
  struct Node;     // one key in the skiplist

 private:
  friend class MemTableIterator;
  static constexpr int kMaxHeight = 12;

  Node* NewNode(std::string_view key, int height);
  int RandomHeight();
  // The first node with key >= target; fills prev[] when given.
  Node* FindGreaterOrEqual(std::string_view key, Node** prev) const;
  Node* FindInHash(std::string_view key, uint64_t hash) const;

  const uint64_t log_number_;
  Arena arena_;
  Node* head_;
  std::vector<std::atomic<Node*>> buckets_;  // hash chains through Node::hash_next
  uint64_t bucket_mask_;
  std::atomic<int> max_height_{1};
  std::atomic<uint64_t> entries_{0};
  std::minstd_rand rng_{0xdecafbad};
};

}  // namespace kv
