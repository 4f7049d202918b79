#include "libkv/net/sim_network.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "libkv/net/client_messages.h"
#include "libkv/net/messages.h"

namespace kv {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using Strand = asio::strand<asio::io_context::executor_type>;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::string GetBody(std::string key) {
  return EncodeMessage(GetRequest{.key = std::move(key), .r = 0});
}

// "<node>:<key>" from a GetResponse that EchoHandler wrote.
std::string Echoed(const Result<Frame>& answer) {
  if (!answer.ok() || answer->type != wire::MessageType::kGetResponse) return "<no answer>";
  Result<GetResponse> got = DecodeMessage<GetResponse>(answer->body);
  return got.ok() ? got->siblings : "<bad answer>";
}

// Answers a GetRequest with "<node>:<key>"; checks that it runs on the node's strand.
RequestHandler EchoHandler(std::string node, Strand strand, int* wrong_executor) {
  return [node, strand, wrong_executor](Frame request) -> asio::awaitable<std::string> {
    if (!strand.running_in_this_thread()) ++*wrong_executor;
    Result<GetRequest> get = DecodeMessage<GetRequest>(request.body);
    if (!get.ok())
      co_return EncodeMessageFrame(StatusToErrorResponse(get.status()), request.request_id);
    GetResponse response;  // named: see the note in tests/net/test_server.h
    response.found = true;
    response.siblings = node + ":" + get->key;
    co_return EncodeMessageFrame(response, request.request_id);
  };
}

// A network of nodes a, b, c on strands of one single-threaded io_context; `body` runs on a's
// strand (the caller's executor) until it ends.
template <class F>
void RunCluster(SimNetwork& net, F body) {
  asio::io_context io;
  int wrong_executor = 0;
  std::vector<Strand> strands;
  for (const char* name : {"a", "b", "c"}) {
    strands.push_back(asio::make_strand(io));
    net.Attach(name, EchoHandler(name, strands.back(), &wrong_executor), strands.back());
  }
  bool done = false;
  asio::co_spawn(strands[0], body(strands[0]), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run();
  // The nodes hold strands of `io`: they go before it.
  for (const char* name : {"a", "b", "c"}) net.Detach(name);
  REQUIRE(done);
  CHECK(wrong_executor == 0);
}

TEST_CASE("sim network: a call round-trips through the frame codec") {
  SimNetwork net(1);
  RunCluster(net, [&](Strand caller) -> asio::awaitable<void> {
    auto from_a = net.TransportFor("a");
    Result<Frame> answer =
        co_await from_a->Call("b", wire::MessageType::kGetRequest, GetBody("k"), milliseconds(500));
    REQUIRE(answer.ok());
    CHECK(Echoed(answer) == "b:k");
    CHECK(caller.running_in_this_thread());  // resumed on the caller's executor
    // A body the handler cannot decode comes back as the Error it answered with.
    Result<Frame> bad =
        co_await from_a->Call("c", wire::MessageType::kGetRequest, "garbage", milliseconds(500));
    CHECK(bad.status().code() == ErrorCode::kProtocol);
    CHECK(bad.status().message().find("c:") == 0);  // context: the node that answered
  });
  CHECK(net.Counts(wire::MessageType::kGetRequest).sent == 2);
  CHECK(net.Counts(wire::MessageType::kGetResponse).sent == 1);
  CHECK(net.Counts(wire::MessageType::kError).sent == 1);
  CHECK(net.TotalCounts().dropped == 0);
}

TEST_CASE("sim network: a crashed node fails calls to it and from it at once") {
  SimNetwork net(2);
  RunCluster(net, [&](Strand) -> asio::awaitable<void> {
    auto from_a = net.TransportFor("a");
    net.Crash("b");
    const auto start = std::chrono::steady_clock::now();
    Result<Frame> to_crashed = co_await from_a->Call("b", wire::MessageType::kGetRequest,
                                                     GetBody("k"), milliseconds(2000));
    CHECK(std::chrono::steady_clock::now() - start < milliseconds(500));  // fast, not a timeout
    CHECK(to_crashed.status().code() == ErrorCode::kUnavailable);
    CHECK(to_crashed.status().message().find("refused") != std::string::npos);

    Result<Frame> from_crashed = co_await net.TransportFor("b")->Call(
        "c", wire::MessageType::kGetRequest, GetBody("k"), milliseconds(2000));
    CHECK(from_crashed.status().code() == ErrorCode::kUnavailable);

    net.Recover("b");
    Result<Frame> recovered =
        co_await from_a->Call("b", wire::MessageType::kGetRequest, GetBody("k"), milliseconds(500));
    CHECK(Echoed(recovered) == "b:k");

    net.Detach("c");
    Result<Frame> detached =
        co_await from_a->Call("c", wire::MessageType::kGetRequest, GetBody("k"), milliseconds(500));
    CHECK(detached.status().code() == ErrorCode::kUnavailable);
    Result<Frame> nowhere = co_await from_a->Call("nobody", wire::MessageType::kGetRequest,
                                                  GetBody("k"), milliseconds(500));
    CHECK(nowhere.status().code() == ErrorCode::kUnavailable);
  });
}

TEST_CASE("sim network: a partition times calls out across it — heal restores them") {
  SimNetwork net(3);
  RunCluster(net, [&](Strand) -> asio::awaitable<void> {
    net.Partition({{"a"}, {"b", "c"}});
    const auto start = std::chrono::steady_clock::now();
    Result<Frame> across = co_await net.TransportFor("a")->Call("b", wire::MessageType::kGetRequest,
                                                                GetBody("k"), milliseconds(100));
    CHECK(std::chrono::steady_clock::now() - start >= milliseconds(100));
    CHECK(across.status().code() == ErrorCode::kTimeout);
    CHECK(across.status().message().find("may have been applied") != std::string::npos);
    Result<Frame> back = co_await net.TransportFor("c")->Call("a", wire::MessageType::kGetRequest,
                                                              GetBody("k"), milliseconds(100));
    CHECK(back.status().code() == ErrorCode::kTimeout);
    Result<Frame> inside = co_await net.TransportFor("b")->Call("c", wire::MessageType::kGetRequest,
                                                                GetBody("k"), milliseconds(100));
    CHECK(Echoed(inside) == "c:k");
    Result<Frame> outsider = co_await net.TransportFor("client")->Call(
        "a", wire::MessageType::kGetRequest, GetBody("k"), milliseconds(100));
    CHECK(Echoed(outsider) == "a:k");  // in no group: reaches everyone

    net.Heal();
    Result<Frame> healed = co_await net.TransportFor("a")->Call("b", wire::MessageType::kGetRequest,
                                                                GetBody("k"), milliseconds(100));
    CHECK(Echoed(healed) == "b:k");
  });
  CHECK(net.Counts(wire::MessageType::kGetRequest).dropped == 2);
}

TEST_CASE("sim network: Unavailable only for a request that never reached its node") {
  SimNetwork net(4);
  RunCluster(net, [&](Strand caller) -> asio::awaitable<void> {
    // A handler that fails after the request reached it: it may have acted on it.
    net.Attach(
        "thrower",
        [](Frame) -> asio::awaitable<std::string> {
          throw std::runtime_error("the disk caught fire");
          co_return std::string();
        },
        caller);
    Result<Frame> thrown = co_await net.TransportFor("a")->Call(
        "thrower", wire::MessageType::kGetRequest, GetBody("k"), milliseconds(500));
    CHECK(thrown.status().code() == ErrorCode::kMaybeApplied);
    CHECK(thrown.status().message().find("the disk caught fire") != std::string::npos);
    CHECK(thrown.status().message().find("may have been applied") != std::string::npos);
    net.Detach("thrower");
    // Never delivered: not sent as far as the caller can tell (the crashed case is above).
    Result<Frame> gone = co_await net.TransportFor("a")->Call(
        "thrower", wire::MessageType::kGetRequest, GetBody("k"), milliseconds(500));
    CHECK(gone.status().code() == ErrorCode::kUnavailable);
  });
}

// Fires `calls` concurrent calls from a to b and returns which ones were answered.
std::vector<bool> AnsweredUnderDrops(uint64_t seed, double drop, int calls) {
  SimNetwork net(seed);
  net.SetDropProbability(drop);
  std::vector<bool> answered(static_cast<size_t>(calls), false);
  RunCluster(net, [&](Strand caller) -> asio::awaitable<void> {
    auto from_a = net.TransportFor("a");
    int running = calls;
    asio::steady_timer all_done(caller, asio::steady_timer::time_point::max());
    for (int i = 0; i < calls; ++i) {
      asio::co_spawn(
          caller,
          [&, i]() -> asio::awaitable<void> {
            Result<Frame> r = co_await from_a->Call("b", wire::MessageType::kGetRequest,
                                                    GetBody(std::to_string(i)), milliseconds(500));
            answered[static_cast<size_t>(i)] = Echoed(r) == "b:" + std::to_string(i);
            if (!r.ok()) CHECK(r.status().code() == ErrorCode::kTimeout);
            if (--running == 0) all_done.cancel();
          },
          asio::detached);
    }
    (void)co_await all_done.async_wait(kNoThrow);
  });
  const SimMessageCounts requests = net.Counts(wire::MessageType::kGetRequest);
  CHECK(requests.sent == static_cast<uint64_t>(calls));
  CHECK(requests.dropped > 0);
  return answered;
}

TEST_CASE("sim network: drop probability is roughly honoured, and the same seed drops the same") {
  constexpr int kCalls = 1000;
  const std::vector<bool> first = AnsweredUnderDrops(42, 0.3, kCalls);
  const auto answered = std::count(first.begin(), first.end(), true);
  MESSAGE("answered " << answered << " of " << kCalls << " (expected about 490: 0.7 * 0.7)");
  CHECK(answered > 420);
  CHECK(answered < 560);
  CHECK(AnsweredUnderDrops(42, 0.3, kCalls) == first);
  CHECK(AnsweredUnderDrops(43, 0.3, kCalls) != first);
}

TEST_CASE("sim network: delayed messages still reach the right caller, in any order") {
  SimNetwork net(5);
  net.SetDelay(milliseconds(1), milliseconds(40));
  std::vector<int> completion_order;
  int right = 0;
  RunCluster(net, [&](Strand caller) -> asio::awaitable<void> {
    auto from_a = net.TransportFor("a");
    constexpr int kCalls = 50;
    int running = kCalls;
    asio::steady_timer all_done(caller, asio::steady_timer::time_point::max());
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) {
      asio::co_spawn(
          caller,
          [&, i]() -> asio::awaitable<void> {
            const char* target = i % 2 == 0 ? "b" : "c";
            Result<Frame> r = co_await from_a->Call(target, wire::MessageType::kGetRequest,
                                                    GetBody(std::to_string(i)), milliseconds(2000));
            if (Echoed(r) == fmt::format("{}:{}", target, i)) ++right;
            completion_order.push_back(i);
            if (--running == 0) all_done.cancel();
          },
          asio::detached);
    }
    (void)co_await all_done.async_wait(kNoThrow);
    CHECK(std::chrono::steady_clock::now() - start >= milliseconds(2));  // two delays at least
  });
  CHECK(right == 50);
  REQUIRE(completion_order.size() == 50);
  CHECK_FALSE(std::is_sorted(completion_order.begin(), completion_order.end()));
}

}  // namespace
}  // namespace kv
