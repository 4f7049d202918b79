// LatencyHistogram: operation latencies in nanoseconds, in log-linear buckets (HdrHistogram's
// layout: exact below 128 ns, then 64 linear sub-buckets per power of two, so any recorded value
// is off by at most 1/64 ≈ 1.6%). Fixed size, no allocation after construction.
//
// Threads: not thread-safe. Each worker records into its own histogram; Merge() adds them up
// once the workers are done.
#pragma once

#include <array>
#include <cstdint>

namespace kv::bench {

class LatencyHistogram {
 public:
  void Record(uint64_t nanos);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t min_nanos() const { return count_ == 0 ? 0 : min_; }
  uint64_t max_nanos() const { return max_; }
  double mean_nanos() const;
  // The latency at or below which `fraction` (0..1] of the recorded operations fell: the upper
  // bound of the bucket that holds that rank, clamped to the largest value seen. 0 when empty.
  uint64_t PercentileNanos(double fraction) const;

 private:
  static constexpr int kSubBucketBits = 6;  // 64 linear steps per power of two
  static constexpr int kBucketCount = 128 + 58 * 64;

  static int BucketOf(uint64_t nanos);
  static uint64_t BucketUpperBound(int bucket);

  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace kv::bench
