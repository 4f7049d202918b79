// A minimal kv server for transport tests: accepts on 127.0.0.1 (a free port), answers the
// handshake, and hands each request frame to a handler coroutine, which may answer late, out of
// order, with an Error frame, or never. Everything runs on one executor that must not run
// handlers in parallel.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libkv/net/frame_io.h"
#include "libkv/net/handshake.h"
#include "libkv/net/messages.h"

namespace kv {

class TestServer {
 public:
  // The whole answer frame, or std::nullopt to never answer.
  using Handler = std::function<boost::asio::awaitable<std::optional<std::string>>(Frame)>;

  TestServer(boost::asio::any_io_executor executor, Handler handler)
      : acceptor_(executor, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        handler_(std::move(handler)) {
    boost::asio::co_spawn(executor, Accept(), boost::asio::detached);
  }

  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int accepted() const { return accepted_; }

  // Closes every connection accepted so far (the peer sees end of stream).
  void DropConnections() {
    for (auto& c : connections_) {
      boost::system::error_code ignored;
      c->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      c->socket.close(ignored);
      c->output_ready.cancel();
    }
    connections_.clear();
  }
  void Stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    DropConnections();
  }

 private:
  struct Connection {
    explicit Connection(boost::asio::ip::tcp::socket s)
        : socket(std::move(s)),
          output_ready(socket.get_executor(), boost::asio::steady_timer::time_point::max()) {}
    boost::asio::ip::tcp::socket socket;
    boost::asio::steady_timer output_ready;
    std::vector<std::string> output;
  };

  boost::asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] =
          co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      ++accepted_;
      auto c = std::make_shared<Connection>(std::move(socket));
      connections_.push_back(c);
      boost::asio::co_spawn(acceptor_.get_executor(), Serve(c), boost::asio::detached);
    }
  }

  // Built outside the coroutine: GCC 12 freed the HandshakeOk temporary of a co_await
  // expression at a wrong address (ASan: free of a pointer into the coroutine frame).
  static std::string HandshakeOkFrame() {
    HandshakeOk ok;
    ok.server = "test server";
    return EncodeMessageFrame(ok, 0);
  }

  boost::asio::awaitable<void> Serve(std::shared_ptr<Connection> c) {
    Result<std::string> prefix = co_await AsyncReadExactly(c->socket, wire::kHandshakeFixedBytes);
    if (!prefix.ok()) co_return;
    Result<HandshakePrefix> hello = DecodeHandshakePrefix(*prefix);
    if (!hello.ok()) co_return;
    Result<std::string> name = co_await AsyncReadExactly(c->socket, hello->cluster_name_bytes);
    if (!name.ok()) co_return;
    const std::string ok = HandshakeOkFrame();
    Status sent = co_await AsyncWriteAll(c->socket, ok);
    if (!sent.ok()) co_return;
    boost::asio::co_spawn(c->socket.get_executor(), WriteLoop(c), boost::asio::detached);
    for (;;) {
      Result<Frame> frame = co_await AsyncReadFrame(c->socket);
      if (!frame.ok()) co_return;
      boost::asio::co_spawn(c->socket.get_executor(), Answer(c, std::move(*frame)),
                            boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> Answer(std::shared_ptr<Connection> c, Frame frame) {
    std::optional<std::string> answer = co_await handler_(std::move(frame));
    if (!answer) co_return;
    c->output.push_back(std::move(*answer));
    c->output_ready.cancel();
  }

  static boost::asio::awaitable<void> WriteLoop(std::shared_ptr<Connection> c) {
    std::vector<std::string> batch;
    while (c->socket.is_open()) {
      if (c->output.empty()) {
        (void)co_await c->output_ready.async_wait(
            boost::asio::as_tuple(boost::asio::use_awaitable));
        continue;
      }
      batch.clear();
      batch.swap(c->output);
      Status written = co_await AsyncWriteAll(c->socket, batch);
      if (!written.ok()) co_return;
    }
  }

  boost::asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  int accepted_ = 0;
  std::vector<std::shared_ptr<Connection>> connections_;
};

}  // namespace kv
