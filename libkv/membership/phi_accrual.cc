#include "libkv/membership/phi_accrual.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

namespace kv {

void PhiAccrualDetector::ArrivalWindow::Add(uint64_t interval, size_t window_size) {
  if (intervals.size() < std::max<size_t>(window_size, 1)) {
    intervals.push_back(interval);
  } else {
    const double old = static_cast<double>(intervals[oldest]);
    sum -= old;
    sum_of_squares -= old * old;
    intervals[oldest] = interval;
    oldest = (oldest + 1) % intervals.size();
  }
  const double x = static_cast<double>(interval);
  sum += x;
  sum_of_squares += x * x;
}

void PhiAccrualDetector::Heartbeat(std::string_view peer, uint64_t now_micros) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    // First word of this peer: two bootstrap samples with mean `bootstrap` and sigma a quarter
    // of it (Akka's first-heartbeat estimate); real intervals push them out of the window.
    ArrivalWindow w;
    uint64_t b = options_.bootstrap_interval_micros;
    w.Add(b - b / 4, options_.window_size);
    w.Add(b + b / 4, options_.window_size);
    w.last_arrival = now_micros;
    peers_.emplace(std::string(peer), std::move(w));
    return;
  }
  ArrivalWindow& w = it->second;
  if (now_micros <= w.last_arrival) return;  // same instant, or a clock that went back
  uint64_t interval = now_micros - w.last_arrival;
  if (interval <= options_.max_sample_interval_micros) w.Add(interval, options_.window_size);
  w.last_arrival = now_micros;
}

void PhiAccrualDetector::Forget(std::string_view peer) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) peers_.erase(it);
}

double PhiAccrualDetector::Phi(std::string_view peer, uint64_t now_micros) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::numeric_limits<double>::infinity();
  const ArrivalWindow& w = it->second;
  double n = static_cast<double>(w.intervals.size());
  double mean = w.sum / n;
  double variance = std::max(0.0, w.sum_of_squares / n - mean * mean);
  double sigma =
      std::max(std::sqrt(variance), static_cast<double>(options_.min_std_deviation_micros));
  double elapsed =
      now_micros > w.last_arrival ? static_cast<double>(now_micros - w.last_arrival) : 0.0;
  double y = (elapsed - mean - static_cast<double>(options_.acceptable_pause_micros)) / sigma;
  // P(X > elapsed) for X ~ N(mean + pause, sigma). erfc keeps precision far into the tail, where
  // 1 - cdf would round to 0; past about 37 sigma it underflows, and phi is capped instead.
  double p_later = 0.5 * std::erfc(y / std::sqrt(2.0));
  return -std::log10(std::max(p_later, DBL_MIN));
}

std::optional<uint64_t> PhiAccrualDetector::LastHeartbeat(std::string_view peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return std::nullopt;
  return it->second.last_arrival;
}

}  // namespace kv
