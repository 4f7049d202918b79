#include "tools/kvbench/progress_line.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace kv::bench {

bool ProgressLine::StderrIsTerminal() {
  return isatty(STDERR_FILENO) == 1;
}

void ProgressLine::Start(std::string label, uint64_t total) {
  if (!enabled_) return;
  Stop();
  label_ = std::move(label);
  total_ = total;
  done_.store(0);
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  drawer_ = std::thread([this] { Draw(); });
}

void ProgressLine::Draw() {
  using Clock = std::chrono::steady_clock;
  auto last_time = Clock::now();
  uint64_t last_done = 0;
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; })) {
    auto now = Clock::now();
    uint64_t done = done_.load(std::memory_order_relaxed);
    double secs = std::chrono::duration<double>(now - last_time).count();
    double rate = secs > 0 ? static_cast<double>(done - last_done) / secs : 0;
    std::fprintf(stderr, "\r%s %llu/%llu ops  %.0f ops/s\x1b[K", label_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 rate);
    std::fflush(stderr);
    last_time = now;
    last_done = done;
  }
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
}

void ProgressLine::Stop() {
  if (!drawer_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  drawer_.join();
}

}  // namespace kv::bench
