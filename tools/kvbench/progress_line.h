// ProgressLine: "12345/1000000 ops  81234 ops/s" on stderr, redrawn in place with '\r' about four
// times a second while a workload runs, and erased when it ends. Does nothing when stderr is not
// a terminal, so logs and pipes stay clean.
//
// Threads: Add() is called by the workers from any thread; the line is drawn by a thread the
// ProgressLine owns between Start() and Stop() (also called by the destructor).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace kv::bench {

class ProgressLine {
 public:
  // `enabled` false makes every call a no-op; StderrIsTerminal() says whether to enable it when
  // stderr is a terminal.
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  static bool StderrIsTerminal();
  ~ProgressLine() { Stop(); }

  void Start(std::string label, uint64_t total);
  void Add(uint64_t ops) {
    if (enabled_) done_.fetch_add(ops, std::memory_order_relaxed);
  }
  void Stop();

 private:
  void Draw();

  const bool enabled_;
  std::string label_;
  uint64_t total_ = 0;
  std::atomic<uint64_t> done_{0};
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread drawer_;
};

}  // namespace kv::bench
