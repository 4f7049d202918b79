#include "libkv/storage/block_cache.h"

namespace kv {

BlockCache::BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes), shards_(kShards) {}

std::shared_ptr<const std::string> BlockCache::Lookup(uint64_t id, uint64_t offset) {
  const Key key{id, offset};
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  return it->second->second;
}

std::shared_ptr<const std::string> BlockCache::Peek(uint64_t id, uint64_t offset) {
  const Key key{id, offset};
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  return it == s.map.end() ? nullptr : it->second->second;
}

void BlockCache::Insert(uint64_t id, uint64_t offset, std::shared_ptr<const std::string> block) {
  const Key key{id, offset};
  Shard& s = ShardFor(key);
  const size_t pinned = pinned_.load(std::memory_order_relaxed);
  const size_t shard_capacity = (capacity_ - std::min(pinned, capacity_)) / kShards;
  const size_t charge = Charge(*block);
  std::lock_guard lock(s.mu);
  if (auto it = s.map.find(key); it != s.map.end()) {
    s.bytes -= Charge(*it->second->second);
    s.lru.erase(it->second);
    s.map.erase(it);
  }
  if (charge <= shard_capacity) {  // else it would evict everything and still not fit
    s.lru.emplace_front(key, std::move(block));
    s.map.emplace(key, s.lru.begin());
    s.bytes += charge;
  }
  while (s.bytes > shard_capacity) {
    auto& [old_key, old_block] = s.lru.back();
    s.bytes -= Charge(*old_block);
    s.map.erase(old_key);
    s.lru.pop_back();
  }
}

size_t BlockCache::bytes() const {
  size_t total = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    total += s.bytes;
  }
  return total;
}

BlockCacheStats BlockCache::stats() const {
  BlockCacheStats st;
  st.capacity_bytes = capacity_;
  st.block_bytes = bytes();
  st.pinned_bytes = pinned_.load(std::memory_order_relaxed);
  st.hits = hits();
  st.misses = misses();
  return st;
}

}  // namespace kv
