#include "tools/kvbench/ops_progress.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

namespace kv::bench {

bool OpsProgress::StderrIsTerminal() {
  return isatty(STDERR_FILENO) == 1;
}

void OpsProgress::Start(std::string label, uint64_t total) {
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

void OpsProgress::Draw() {
  using Clock = std::chrono::steady_clock;
  auto last_time = Clock::now();
  uint64_t last_done = 0;
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; })) {
    auto now = Clock::now();
    uint64_t done = done_.load(std::memory_order_relaxed);
    double secs = std::chrono::duration<double>(now - last_time).count();
    double rate = secs > 0 ? static_cast<double>(done - last_done) / secs : 0;
    line_.Draw(
        {fmt::format("{} {}/{} ops", label_, done, total_), fmt::format("{:.0f} ops/s", rate)});
    last_time = now;
    last_done = done;
  }
  line_.Clear();
}

void OpsProgress::Stop() {
  if (!drawer_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  drawer_.join();
}

}  // namespace kv::bench
