#include "libkv/storage/arena.h"

namespace kv {

char* Arena::Allocate(size_t bytes) {
  constexpr size_t kAlign = alignof(std::max_align_t) > 8 ? 8 : alignof(std::max_align_t);
  bytes = (bytes + kAlign - 1) & ~(kAlign - 1);
  allocated_.store(allocated_.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
  if (bytes > left_) {
    // A large request gets a block of its own, so the current block's tail is not wasted.
    if (bytes > kBlockBytes / 4) return NewBlock(bytes);
    ptr_ = NewBlock(kBlockBytes);
    left_ = kBlockBytes;
  }
  char* out = ptr_;
  ptr_ += bytes;
  left_ -= bytes;
  return out;
}

char* Arena::NewBlock(size_t bytes) {
  blocks_.push_back(std::unique_ptr<char[]>(new char[bytes]));  // not zeroed
  usage_.fetch_add(bytes + sizeof(void*), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace kv
