// FirstError: the first error any of a run's worker threads hit; the others see failed() and
// stop. Thread-safe.
#pragma once

#include <atomic>
#include <mutex>

#include "libkv/base/status.h"

namespace kv::bench {

class FirstError {
 public:
  void Set(Status status) {
    std::lock_guard lock(mu_);
    if (status_.ok()) status_ = std::move(status);
    failed_.store(true, std::memory_order_relaxed);
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  Status status_;
  std::atomic<bool> failed_{false};
};

}  // namespace kv::bench
