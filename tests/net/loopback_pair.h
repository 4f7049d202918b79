// LoopbackPair: the two ends of a fresh TCP connection on 127.0.0.1 (client first, then the
// accepted side), on `ex`, for the net tests that run a stream against itself in one io_context.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace kv::testing {

inline boost::asio::awaitable<std::pair<boost::asio::ip::tcp::socket, boost::asio::ip::tcp::socket>>
LoopbackPair(boost::asio::any_io_executor ex) {
  using boost::asio::ip::tcp;
  tcp::acceptor acceptor(ex, {boost::asio::ip::make_address("127.0.0.1"), 0});
  tcp::socket a(ex);
  co_await a.async_connect(acceptor.local_endpoint(), boost::asio::use_awaitable);
  tcp::socket b = co_await acceptor.async_accept(boost::asio::use_awaitable);
  co_return std::pair{std::move(a), std::move(b)};
}

}  // namespace kv::testing
