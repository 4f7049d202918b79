#include "libkv/base/memory_share.h"

#include <algorithm>
#include <utility>

namespace kv {

MemoryShare::MemoryShare(size_t capacity) : counts_(std::make_shared<Counts>(capacity)) {}

MemoryShare::Reservation& MemoryShare::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    Release();
    counts_ = std::move(other.counts_);
    other.counts_.reset();
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void MemoryShare::Reservation::Shrink(size_t new_bytes) {
  if (counts_ == nullptr || new_bytes >= bytes_) return;
  counts_->Return(bytes_ - new_bytes);
  bytes_ = new_bytes;
}

MemoryShare::Reservation MemoryShare::Reservation::Split(size_t bytes) {
  bytes = std::min(bytes, bytes_);
  bytes_ -= bytes;
  return Reservation(counts_, bytes);
}

std::optional<MemoryShare::Reservation> MemoryShare::TryReserve(size_t bytes) {
  Counts& c = *counts_;
  std::lock_guard lock(c.mu);
  if (bytes > c.capacity - c.used) return std::nullopt;
  c.used += bytes;
  c.peak = std::max(c.peak, c.used);
  return Reservation(counts_, bytes);
}

MemoryShare::Figures MemoryShare::figures() const {
  std::lock_guard lock(counts_->mu);
  return Figures{counts_->capacity, counts_->used, counts_->peak};
}

void MemoryShare::Counts::Return(size_t bytes) {
  std::lock_guard lock(mu);
  used -= bytes;
}

}  // namespace kv
