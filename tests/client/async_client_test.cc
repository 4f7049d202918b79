#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libkv/client/async_client.h"
#include "libkv/client/client.h"
#include "tests/client/fake_node.h"
#include "tests/node/test_node.h"

namespace kv {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Runs `body` as a coroutine on a fresh single-threaded io_context until it ends.
template <class F>
void RunCoroutine(F body) {
  asio::io_context io;
  bool done = false;
  asio::co_spawn(io, body(io.get_executor()), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run();
  REQUIRE(done);
}

TEST_CASE("async client: 50 concurrent requests share one connection") {
  FakeNode node;
  constexpr int kWorkers = 50, kPerWorker = 20;
  int failures = 0;
  size_t peak_in_flight = 0;
  RunCoroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    const HostPort at = node.address();
    const ClientOptions options;
    auto client = co_await AsyncClient::Connect(ex, at, options);
    REQUIRE(client.ok());
    AsyncClient& c = **client;
    int running = kWorkers;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    for (int w = 0; w < kWorkers; ++w) {
      asio::co_spawn(
          ex,
          [&, w]() -> asio::awaitable<void> {
            for (int i = 0; i < kPerWorker; ++i) {
              std::string key = fmt::format("w{}-{}", w, i);
              std::string value = fmt::format("v{}", i);
              Status s = co_await c.Put(std::move(key), std::move(value));
              if (!s.ok()) ++failures;
              peak_in_flight = std::max(peak_in_flight, c.in_flight());
            }
            for (int i = 0; i < kPerWorker; ++i) {
              std::string key = fmt::format("w{}-{}", w, i);
              auto got = co_await c.Get(std::move(key));
              if (!got.ok() || got->single_value() == nullptr ||
                  *got->single_value() != fmt::format("v{}", i))
                ++failures;
            }
            if (--running == 0) all_done.cancel();
          },
          asio::detached);
    }
    (void)co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    auto missing = co_await c.Get("never");
    REQUIRE(missing.ok());
    CHECK_FALSE(missing->found());
    // Options as named locals: GCC 12 destroys an aggregate temporary inside a co_await
    // expression twice.
    ReadOptions one_replica;
    one_replica.r = 1;
    auto before = co_await c.Get("w0-0", one_replica);
    REQUIRE(before.ok());
    WriteOptions with_context;
    with_context.context = before->context;
    with_context.w = 1;
    Status deleted = co_await c.Delete("w0-0", with_context);
    CHECK(deleted.ok());
    auto gone = co_await c.Get("w0-0");
    REQUIRE(gone.ok());
    CHECK_FALSE(gone->found());
    // Two blind writes are siblings; a write with their context replaces both.
    CHECK((co_await c.Put("s", "x")).ok());
    CHECK((co_await c.Put("s", "y")).ok());
    auto siblings = co_await c.Get("s");
    REQUIRE(siblings.ok());
    CHECK(siblings->siblings.size() == 2);
    WriteOptions resolve;
    resolve.context = siblings->context;
    CHECK((co_await c.Put("s", "xy", resolve)).ok());
    auto resolved = co_await c.Get("s");
    REQUIRE(resolved.ok());
    REQUIRE(resolved->single_value() != nullptr);
    CHECK(*resolved->single_value() == "xy");
    auto ring = co_await c.Ring("s");
    REQUIRE(ring.ok());
    CHECK(ring->preference_list == std::vector<std::string>{"fake"});
    WriteOptions bad;
    bad.context = "nope";
    Status bad_context = co_await c.Put("s", "z", bad);
    CHECK(bad_context.code() == ErrorCode::kInvalidArgument);
    std::string too_big(kMaxValueBytes + 1, 'x');
    Status refused = co_await c.Put("big", std::move(too_big));
    CHECK(refused.code() == ErrorCode::kInvalidArgument);
  });
  CHECK(failures == 0);
  MESSAGE("peak requests in flight on the connection: " << peak_in_flight);
  CHECK(peak_in_flight > 1);  // the requests really were pipelined
}

TEST_CASE("clients time out against a peer that never answers, and say a write may have landed") {
  // A listening socket that never accepts: connecting succeeds (the kernel's backlog), but no
  // handshake answer ever comes.
  asio::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const HostPort at{"127.0.0.1", silent.local_endpoint().port()};
  const ClientOptions fast{.timeout = std::chrono::milliseconds(200)};

  auto c = Client::Connect(at, fast);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == ErrorCode::kTimeout);

  RunCoroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto a = co_await AsyncClient::Connect(ex, at, fast);
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == ErrorCode::kTimeout);
  });
}

TEST_CASE(
    "async client: a write sent to a stopped node may have been applied; later calls "
    "are Unavailable") {
  TestNode node;
  RunCoroutine([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    const HostPort at = node.address();
    const ClientOptions options;
    auto client = co_await AsyncClient::Connect(ex, at, options);
    REQUIRE(client.ok());
    Status first = co_await (*client)->Put("k", "v");
    CHECK(first.ok());
    REQUIRE(node.node->Stop().ok());
    // Written to the socket before the client saw the connection end: its outcome is unknown.
    Status s = co_await (*client)->Put("k", "v2");
    CHECK(s.code() == ErrorCode::kMaybeApplied);
    CHECK(s.message().find("may have been applied") != std::string::npos);
    auto later = co_await (*client)->Get("k");  // the connection is known broken: never sent
    CHECK(later.status().code() == ErrorCode::kUnavailable);
  });
}

}  // namespace
}  // namespace kv
