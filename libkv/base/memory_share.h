// MemoryShare: one share of the node's memory budget (libkv/node/memory_budget.h) that several
// users draw on at once, each reserving the bytes it is about to hold before it allocates them
// and giving them back when it frees them (a Reservation, released when destroyed). Whoever finds
// no room refuses or waits: the share is never exceeded by what was reserved. The figures are the
// reservations' (estimates of what their holders allocate), not the allocator's.
//
// Life: a reservation may outlive the share it was drawn on (a coroutine frame destroyed after
// its owner at shutdown): it keeps the share's counts alive, not the share. Threads: thread-safe;
// a Reservation is one owner's value (movable, not copyable).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>

namespace kv {

class MemoryShare {
  struct Counts;

 public:
  explicit MemoryShare(size_t capacity);
  MemoryShare(const MemoryShare&) = delete;
  MemoryShare& operator=(const MemoryShare&) = delete;

  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept { *this = std::move(other); }
    Reservation& operator=(Reservation&& other) noexcept;
    ~Reservation() { Release(); }

    size_t bytes() const { return bytes_; }
    // Gives back what is no longer held (at most bytes()).
    void Shrink(size_t new_bytes);
    // Moves `bytes` (at most bytes()) of this reservation into a new one, for a part of what it
    // covers that goes its own way (and frees its bytes when it goes).
    Reservation Split(size_t bytes);
    void Release() { Shrink(0); }

   private:
    friend class MemoryShare;
    Reservation(std::shared_ptr<Counts> counts, size_t bytes)
        : counts_(std::move(counts)), bytes_(bytes) {}
    std::shared_ptr<Counts> counts_;
    size_t bytes_ = 0;
  };

  // `bytes` of the share, or nullopt when fewer than that are free now.
  std::optional<Reservation> TryReserve(size_t bytes);

  struct Figures {
    size_t capacity = 0;
    size_t used = 0;  // reserved now
    size_t peak = 0;  // most reserved at once since the share was made
  };
  Figures figures() const;

 private:
  struct Counts {
    explicit Counts(size_t capacity) : capacity(capacity) {}
    void Return(size_t bytes);

    const size_t capacity;
    std::mutex mu;
    size_t used = 0;  // GUARDED_BY(mu)
    size_t peak = 0;  // GUARDED_BY(mu)
  };

  const std::shared_ptr<Counts> counts_;
};

}  // namespace kv
