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

void BlockCache::Insert(uint64_t id, uint64_t offset, std::shared_ptr<const std::string> block) {
  const Key key{id, offset};
  Shard& s = ShardFor(key);
  const size_t shard_capacity = capacity_ / kShards;
  const size_t charge = block->size();
  if (charge > shard_capacity) return;  // would evict everything and still not fit
  std::lock_guard lock(s.mu);
  if (auto it = s.map.find(key); it != s.map.end()) {
    s.bytes -= it->second->second->size();
    s.lru.erase(it->second);
    s.map.erase(it);
  }
  s.lru.emplace_front(key, std::move(block));
  s.map.emplace(key, s.lru.begin());
  s.bytes += charge;
  while (s.bytes > shard_capacity) {
    auto& [old_key, old_block] = s.lru.back();
    s.bytes -= old_block->size();
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

}  // namespace kv
