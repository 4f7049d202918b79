// StopSignal: how a background coroutine sleeps so that a stop ends the sleep. Sleep(d) waits d on
// the calling coroutine's executor unless Stop comes first; Stop, from any thread, wakes every
// sleeper and makes every later Sleep return at once. The loops of Gossiper, HintedHandoff and
// AntiEntropy and NodeService's join and leave each sleep on one. Thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace kv {

class StopSignal {
 public:
  // True once `d` has passed; false when stopped before or during the wait.
  boost::asio::awaitable<bool> Sleep(std::chrono::steady_clock::duration d);
  void Stop();
  bool stopped() const;

 private:
  mutable std::mutex mu_;
  bool stopped_ = false;  // GUARDED_BY(mu_)
  // Shared with Stop's cancel, which may run after a sleeper has woken and gone.
  std::vector<std::shared_ptr<boost::asio::steady_timer>> sleeping_;  // GUARDED_BY(mu_)
};

}  // namespace kv
