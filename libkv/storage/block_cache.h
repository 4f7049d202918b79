// BlockCache: an LRU cache of data blocks whose checksums were already verified, shared by the
// table readers of one engine, so that a hot block costs neither a read nor a CRC. Bounded by the
// bytes it holds; sharded, each shard under its own mutex; safe from any thread. Entries are
// shared_ptrs, so a block in use stays valid after eviction.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace kv {

class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes);

  // A number no other table reader of this cache uses: the first half of every key.
  uint64_t NewId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  std::shared_ptr<const std::string> Lookup(uint64_t id, uint64_t offset);
  void Insert(uint64_t id, uint64_t offset, std::shared_ptr<const std::string> block);

  size_t capacity_bytes() const { return capacity_; }
  // Bytes held now, and lookup figures since construction (for stats and benchmarks).
  size_t bytes() const;
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Key {
    uint64_t id;
    uint64_t offset;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return static_cast<size_t>((k.id * 0x9e3779b97f4a7c15ull) ^ k.offset);
    }
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<std::pair<Key, std::shared_ptr<const std::string>>> lru;  // front: newest
    std::unordered_map<Key, decltype(lru)::iterator, KeyHash> map;
    size_t bytes = 0;
  };
  static constexpr size_t kShards = 16;
  Shard& ShardFor(const Key& k) { return shards_[KeyHash()(k) % kShards]; }

  const size_t capacity_;
  std::vector<Shard> shards_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace kv
