// PhiAccrualDetector: suspicion that a peer is down, as a number (Hayashibara et al.'s phi
// accrual detector). Per peer it keeps a window of heartbeat inter-arrival times; an arrival is
// when gossip shows the peer's heartbeat version increased (as Cassandra does), wherever the
// news came from. phi(now) = -log10(P(the next heartbeat is still to come after this long)).
// A plain value, not thread-safe: the owner (the membership table) serialises calls. Time is
// passed in: monotonic microseconds from any origin.
//
// Distribution: normal, as Akka does, not Cassandra's exponential. An exponential has one
// parameter, so phi = elapsed / (mean * ln 10): at threshold 8 every peer is convicted after
// 18.4 mean intervals however regular it was (18 s at 1 s gossip), which is not "down within a few
// seconds". The normal uses the spread it measures: a regular peer is convicted after
// mean + pause + 5.6 sigma, a jittery one later, so jitter makes it patient, not trigger-happy.
// Its weakness, a hair trigger when sigma is tiny, is covered by `min_std_deviation` and
// `acceptable_pause` (Akka's names).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kv {

struct PhiAccrualOptions {
  double threshold = 8;  // convict at phi >= threshold; Cassandra's default
  size_t window_size = 1000;
  // Sigma never below this: perfectly regular heartbeats would otherwise convict a peer a few
  // milliseconds late.
  uint64_t min_std_deviation_micros = 200'000;
  // Added to the mean: a pause this long is tolerated before suspicion grows (a GC, a busy
  // gossip thread, a lost gossip message). Heartbeats reach an observer second-hand, a gossip
  // hop a second, so gaps of several seconds are normal in a larger cluster: with 1 s here the
  // 10-node simulation (tests/membership) saw a live node reach phi 8.03; with 2 s, 1.53.
  uint64_t acceptable_pause_micros = 2'000'000;
  // Until real samples fill the window, a new peer is assumed to beat this often (with sigma of a
  // quarter of it), so it is not convicted the moment after it is first heard of.
  uint64_t bootstrap_interval_micros = 1'000'000;
  // A gap longer than this is an outage, not a sample: a peer back from being down must not
  // teach the detector that hour-long silences are normal.
  uint64_t max_sample_interval_micros = 5'000'000;
};

class PhiAccrualDetector {
 public:
  explicit PhiAccrualDetector(PhiAccrualOptions options = {}) : options_(options) {}

  const PhiAccrualOptions& options() const { return options_; }

  // The peer's heartbeat version increased, seen at `now_micros`.
  void Heartbeat(std::string_view peer, uint64_t now_micros);
  // Drops what is known of the peer (it restarted with a new generation, or left).
  void Forget(std::string_view peer);

  // Infinity for a peer never heard from (down until it is heard).
  double Phi(std::string_view peer, uint64_t now_micros) const;
  bool IsUp(std::string_view peer, uint64_t now_micros) const {
    return Phi(peer, now_micros) < options_.threshold;
  }
  // When the last heartbeat of the peer arrived; nullopt if never.
  std::optional<uint64_t> LastHeartbeat(std::string_view peer) const;

 private:
  struct ArrivalWindow {
    // Microseconds: a ring of at most window_size, its oldest at `oldest` once full. (A deque's
    // 512-byte blocks made most of a simulated 1,000-node cluster's gigabyte: kvbench gossip.)
    std::vector<uint64_t> intervals;
    size_t oldest = 0;
    double sum = 0;
    double sum_of_squares = 0;
    uint64_t last_arrival = 0;

    void Add(uint64_t interval, size_t window_size);
  };

  // Hashed, with lookups by string_view: a gossip round asks for every peer's phi, and at a
  // thousand peers a tree's lookups were most of the round's CPU (kvbench gossip).
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view id) const { return std::hash<std::string_view>()(id); }
  };
  PhiAccrualOptions options_;
  std::unordered_map<std::string, ArrivalWindow, IdHash, std::equal_to<>> peers_;
};

}  // namespace kv
