// HintedHandoff: hands the hints this node holds (writes it took as a fallback under a sloppy
// quorum, HintStore) to their owners once gossip shows them up again. Every round it walks the
// targets with pending hints that are up, sends each hint as a plain ReplicaWrite, and removes it
// when the owner acknowledges; a failure ends that target's turn until the next round. Delivery is
// paced to `max_hints_per_second`, so a node back from a long outage is fed steadily instead of
// flooded while it also serves clients; hints past the store's window are dropped and counted.
//
// Threads: Start spawns the rounds on the given executor (a strand); blocking store calls run on
// the engine pool. Stop from any thread.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "libkv/async/stop_signal.h"
#include "libkv/net/transport.h"
#include "libkv/replication/cluster_view.h"
#include "libkv/replication/hint_store.h"

namespace spdlog {
class logger;
}

namespace kv {

struct HandoffOptions {
  std::chrono::milliseconds interval{1000};  // between rounds
  uint32_t max_hints_per_second = 2000;
  size_t batch = 128;                       // hints read from the store at a time
  std::chrono::milliseconds timeout{2000};  // per hint sent
};

class HintedHandoff {
 public:
  struct Services {
    HintStore* store = nullptr;
    Transport* transport = nullptr;
    boost::asio::thread_pool* engine_pool = nullptr;
    std::function<std::shared_ptr<const ClusterView>()> view;
    std::function<bool(std::string_view node_id)> is_up;
    std::function<uint64_t()> wall_micros;
    spdlog::logger* logger = nullptr;
  };

  HintedHandoff(Services services, HandoffOptions options)
      : s_(std::move(services)), options_(options) {}

  void Start(boost::asio::any_io_executor executor);
  void Stop();

  // Hints handed off since start.
  uint64_t delivered() const { return delivered_.load(); }

 private:
  boost::asio::awaitable<void> Rounds();
  // Delivers target's pending hints while it answers; returns how many went.
  boost::asio::awaitable<uint64_t> DeliverTo(const std::string& target, const std::string& address);
  boost::asio::awaitable<void> Pace(uint64_t sent_in_round,
                                    std::chrono::steady_clock::time_point round_start);

  Services s_;
  HandoffOptions options_;
  std::atomic<uint64_t> delivered_{0};
  StopSignal stop_;
};

}  // namespace kv
