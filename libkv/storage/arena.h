// Arena: bump allocation for one memtable. Memory is handed out in blocks and freed all at once
// when the arena dies, so a memtable's keys and values cost no allocation each and stay at a
// fixed address for as long as the memtable lives. Allocate() is for the single writer;
// MemoryUsage() may be read from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace kv {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Memory aligned for any pointer or integer type.
  char* Allocate(size_t bytes);
  // Bytes of the blocks held, including the unused ends of blocks.
  size_t MemoryUsage() const { return usage_.load(std::memory_order_relaxed); }
  // Bytes handed out by Allocate: what the contents take, independent of the block size.
  size_t AllocatedBytes() const { return allocated_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockBytes = 256 * 1024;
  char* NewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t left_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> usage_{0};
  std::atomic<size_t> allocated_{0};
};

}  // namespace kv
