#include "libkv/storage/write_slowdown.h"

#include <algorithm>

#include "libkv/storage/compaction.h"

namespace kv {
namespace {

// How far `value` is from soft (0) to hard (1), clamped.
double Overshoot(double value, double soft, double hard) {
  if (value <= soft) return 0;
  if (value >= hard) return 1;
  return (value - soft) / (hard - soft);
}

}  // namespace

WriteThrottle ThrottleFor(const WriteLoad& load) {
  const double m = static_cast<double>(load.memtable_bytes);
  const double hard = m * static_cast<double>(1 + load.max_immutable_memtables);
  const double soft = std::min(2 * m, hard - m);
  WriteThrottle t;
  t.pressure = Overshoot(static_cast<double>(load.memtable_content), soft, hard);
  if (load.compaction_running) {
    constexpr size_t kSoftRuns = kMaxRuns + 2;
    constexpr size_t kHardRuns = 2 * kMaxRuns;
    t.stop_for_runs = load.runs >= kHardRuns;
    t.pressure =
        std::max(t.pressure, Overshoot(static_cast<double>(load.runs), kSoftRuns, kHardRuns));
  }
  return t;
}

}  // namespace kv
