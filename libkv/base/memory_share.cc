#include "libkv/base/memory_share.h"

#include <algorithm>
#include <utility>

namespace kv {

MemoryShare::Reservation& MemoryShare::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    Release();
    share_ = std::exchange(other.share_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void MemoryShare::Reservation::Shrink(size_t new_bytes) {
  if (share_ == nullptr || new_bytes >= bytes_) return;
  share_->Return(bytes_ - new_bytes);
  bytes_ = new_bytes;
}

MemoryShare::Reservation MemoryShare::Reservation::Split(size_t bytes) {
  bytes = std::min(bytes, bytes_);
  bytes_ -= bytes;
  return Reservation(share_, bytes);
}

std::optional<MemoryShare::Reservation> MemoryShare::TryReserve(size_t bytes) {
  std::lock_guard lock(mu_);
  if (bytes > capacity_ - used_) return std::nullopt;
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return Reservation(this, bytes);
}

MemoryShare::Figures MemoryShare::figures() const {
  std::lock_guard lock(mu_);
  return Figures{capacity_, used_, peak_};
}

void MemoryShare::Return(size_t bytes) {
  std::lock_guard lock(mu_);
  used_ -= bytes;
}

}  // namespace kv
