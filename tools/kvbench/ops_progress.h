// OpsProgress: "load 12345/1000000 ops  81234 ops/s" while a workload runs, redrawn about four
// times a second on the shared progress line (tools/common/progress_line.h: fitted to the
// terminal, nothing when stderr is not one) and erased when it ends.
//
// Threads: Add() is called by the workers from any thread; the line is drawn by a thread the
// OpsProgress owns between Start() and Stop() (also called by the destructor).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "tools/common/progress_line.h"

namespace kv::bench {

class OpsProgress {
 public:
  // `enabled` false makes every call a no-op; StderrIsTerminal() says whether to enable it when
  // stderr is a terminal.
  explicit OpsProgress(bool enabled) : enabled_(enabled), line_(enabled) {}
  static bool StderrIsTerminal();
  ~OpsProgress() { Stop(); }

  void Start(std::string label, uint64_t total);
  void Add(uint64_t ops) {
    if (enabled_) done_.fetch_add(ops, std::memory_order_relaxed);
  }
  void Stop();

 private:
  void Draw();

  const bool enabled_;
  tools::ProgressLine line_;  // drawn by drawer_ only
  std::string label_;
  uint64_t total_ = 0;
  std::atomic<uint64_t> done_{0};
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread drawer_;
};

}  // namespace kv::bench
