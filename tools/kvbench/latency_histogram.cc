#include "tools/kvbench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace kv::bench {

// Buckets 0..127 hold 0..127 ns exactly. Above, a value with bit width w (w >= 8) is shifted
// right by w - 7 so that its top seven bits, 64..127, pick one of 64 sub-buckets.
int LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < 128) return static_cast<int>(nanos);
  int shift = std::bit_width(nanos) - 1 - kSubBucketBits;  // >= 1
  uint64_t top = nanos >> shift;                           // 64..127
  return 128 + (shift - 1) * 64 + static_cast<int>(top - 64);
}

uint64_t LatencyHistogram::BucketUpperBound(int bucket) {
  if (bucket < 128) return static_cast<uint64_t>(bucket);
  int shift = (bucket - 128) / 64 + 1;
  uint64_t top = static_cast<uint64_t>((bucket - 128) % 64 + 64);
  // The largest value whose top bits are `top`.
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t nanos) {
  ++counts_[BucketOf(nanos)];
  ++count_;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
  sum_ += nanos;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::mean_nanos() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / count_);
}

uint64_t LatencyHistogram::PercentileNanos(double fraction) const {
  if (count_ == 0) return 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(fraction * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(BucketUpperBound(i), min_, max_);
  }
  return max_;
}

}  // namespace kv::bench
