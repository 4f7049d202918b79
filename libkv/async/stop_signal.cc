#include "libkv/async/stop_signal.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kv {

namespace asio = boost::asio;

asio::awaitable<bool> StopSignal::Sleep(std::chrono::steady_clock::duration d) {
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, d);
  {
    std::lock_guard lock(mu_);
    if (stopped_) co_return false;
    sleeping_.push_back(timer);
  }
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled: Stop
  std::lock_guard lock(mu_);
  std::erase(sleeping_, timer);
  co_return !stopped_;
}

void StopSignal::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  // On each timer's own executor: a timer is not thread-safe.
  for (const auto& t : sleeping_) asio::post(t->get_executor(), [t] { t->cancel(); });
}

bool StopSignal::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

}  // namespace kv
