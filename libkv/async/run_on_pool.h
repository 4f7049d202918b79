// RunOnPool: from a coroutine, run a blocking call (an engine call that may wait for a group
// fsync) on a thread pool and resume on the coroutine's own executor with its result, so that no
// I/O thread ever blocks. The call is not cancellable once started: an engine write always runs
// to its end, and its result is delivered even if nobody reads it any more.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace kv {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> RunOnPool(boost::asio::thread_pool& pool, F f) {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<F&>;
  auto initiation = [&pool](auto handler, F call) {
    // Tracked work: the resuming executor's io_context must not run out of work meanwhile.
    auto home = asio::prefer(asio::get_associated_executor(handler),
                             asio::execution::outstanding_work.tracked);
    asio::post(pool, [handler = std::move(handler), call = std::move(call), home]() mutable {
      R result = call();
      asio::post(home, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(R)>(
      std::move(initiation), asio::use_awaitable, std::move(f));
}

}  // namespace kv
