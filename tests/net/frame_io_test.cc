#include "libkv/net/frame_io.h"
#include "tests/net/loopback_pair.h"

#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kv {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::milliseconds;

// Runs `body(a, b)` on a fresh io_context with a and b the two ends of a loopback connection.
template <class F>
void WithConnection(F body) {
  asio::io_context io;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto [a, b] = co_await testing::LoopbackPair(ex);
        co_await body(a, b);
      },
      [&](std::exception_ptr e) {
        done = true;
        if (e) std::rethrow_exception(e);
      });
  io.run();
  REQUIRE(done);
}

asio::awaitable<void> Sleep(milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  (void)co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

TEST_CASE("AsyncWriteAll: small and large buffers arrive whole and in order") {
  std::vector<std::string> buffers;
  for (size_t size : {0, 1, 100, 2048, 2049, 0, 100000, 7, 3000, 5})
    buffers.push_back(std::string(size, static_cast<char>('a' + buffers.size())));
  for (int i = 0; i < 100; ++i) buffers.push_back("small-" + std::to_string(i));
  std::string expected;
  for (const std::string& b : buffers) expected += b;
  WithConnection([&](tcp::socket& a, tcp::socket& b) -> asio::awaitable<void> {
    Status written = co_await AsyncWriteAll(a, buffers);
    REQUIRE(written.ok());
    std::string got(expected.size(), '\0');
    co_await asio::async_read(b, asio::buffer(got), asio::use_awaitable);
    CHECK(got == expected);
  });
}

TEST_CASE("AsyncReadMore: frames sent together come in one read; an idle reader holds no buffer") {
  WithConnection([&](tcp::socket& a, tcp::socket& b) -> asio::awaitable<void> {
    std::string frames;
    for (uint64_t id = 1; id <= 50; ++id)
      AppendFrame(&frames, wire::MessageType::kGetRequest, id, "key");
    REQUIRE((co_await AsyncWriteAll(a, frames)).ok());
    co_await Sleep(milliseconds(50));  // all of it is in b's socket
    FrameReader reader;
    REQUIRE((co_await AsyncReadMore(b, reader)).ok());
    int taken = 0;
    for (Result<std::optional<Frame>> f = reader.Next(); f.ok() && *f; f = reader.Next()) ++taken;
    CHECK(taken == 50);

    // Nothing more yet: the reader waits without its buffer.
    size_t memory_while_waiting = SIZE_MAX;
    asio::co_spawn(
        a.get_executor(),
        [&]() -> asio::awaitable<void> {
          co_await Sleep(milliseconds(50));
          memory_while_waiting = reader.memory();
          std::string more;
          AppendFrame(&more, wire::MessageType::kGetRequest, 51, "late");
          (void)co_await AsyncWriteAll(a, more);
        },
        asio::detached);
    REQUIRE((co_await AsyncReadMore(b, reader)).ok());
    CHECK(memory_while_waiting == 0);
    Result<std::optional<Frame>> late = reader.Next();
    REQUIRE(late.ok());
    REQUIRE(late->has_value());
    CHECK((*late)->body == "late");

    a.close();
    Status closed = co_await AsyncReadMore(b, reader);
    CHECK(closed.code() == ErrorCode::kUnavailable);
    CHECK(closed.message().find("closed by the peer") != std::string::npos);
  });
}

}  // namespace
}  // namespace kv
