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
  Slot& slot = s.slots[it->second];
  slot.referenced = true;
  return slot.block;
}

std::shared_ptr<const std::string> BlockCache::Peek(uint64_t id, uint64_t offset) {
  const Key key{id, offset};
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  return it == s.map.end() ? nullptr : s.slots[it->second].block;
}

void BlockCache::Insert(uint64_t id, uint64_t offset, std::shared_ptr<const std::string> block) {
  const Key key{id, offset};
  Shard& s = ShardFor(key);
  const size_t pinned = pinned_.load(std::memory_order_relaxed);
  const size_t shard_capacity = (capacity_ - std::min(pinned, capacity_)) / kShards;
  const size_t charge = Charge(*block);
  std::lock_guard lock(s.mu);
  auto evict = [&s](uint32_t i) {
    Slot& slot = s.slots[i];
    s.bytes -= slot.charge;
    s.map.erase(slot.key);
    slot.block.reset();
    slot.referenced = false;
    s.free_slots.push_back(i);
  };
  if (auto it = s.map.find(key); it != s.map.end()) evict(it->second);
  const size_t want = charge <= shard_capacity ? charge : 0;  // else it is not kept
  // Each pass clears the bits it passes, so two passes over the slots find a victim.
  while (s.bytes + want > shard_capacity && !s.map.empty()) {
    const uint32_t i = static_cast<uint32_t>(s.hand);
    s.hand = (s.hand + 1) % s.slots.size();
    Slot& slot = s.slots[i];
    if (!slot.block) continue;
    if (slot.referenced) {
      slot.referenced = false;
      continue;
    }
    evict(i);
  }
  if (want == 0) return;
  uint32_t i;
  if (!s.free_slots.empty()) {
    i = s.free_slots.back();
    s.free_slots.pop_back();
  } else {
    i = static_cast<uint32_t>(s.slots.size());
    s.slots.emplace_back();
  }
  Slot& slot = s.slots[i];
  slot.key = key;
  slot.block = std::move(block);
  slot.charge = charge;
  slot.referenced = false;
  s.map.emplace(key, i);
  s.bytes += charge;
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
