#include "libkv/net/sim_network.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include "libkv/net/messages.h"

namespace kv {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Sleeps until `until`; false when the caller was cancelled instead.
asio::awaitable<bool> SleepUntil(Clock::time_point until) {
  asio::steady_timer timer(co_await asio::this_coro::executor, until);
  auto [ec] = co_await timer.async_wait(kNoThrow);
  co_return !ec;
}

// The one whole frame in `bytes`, as the peer's socket reader would take it.
Result<Frame> DecodeWholeFrame(std::string_view bytes) {
  Result<std::optional<Frame>> frame = DecodeFrame(&bytes);
  if (!frame.ok()) return frame.status();
  if (!frame->has_value() || !bytes.empty())
    return Status::Protocol(fmt::format("not one whole frame: {} bytes left over", bytes.size()));
  return std::move(**frame);
}

}  // namespace

struct SimNetwork::State {
  struct Node {
    RequestHandler handler;
    asio::any_io_executor executor;
  };

  // REQUIRES: mutex held (for every *Locked function).
  double Uniform01Locked() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
  milliseconds DelayLocked() {
    if (delay_max <= delay_min) return delay_min;
    const auto span = static_cast<uint64_t>((delay_max - delay_min).count()) + 1;
    return delay_min + milliseconds(rng() % span);
  }
  bool DownLocked(const std::string& address) const {
    return crashed.contains(address) || !nodes.contains(address);
  }
  bool ConnectedLocked(const std::string& a, const std::string& b) const {
    auto ga = group_of.find(a), gb = group_of.find(b);
    if (ga == group_of.end() || gb == group_of.end()) return true;
    return ga->second == gb->second;
  }
  // Whether a message from `from` to `to` gets through now, counting it as sent and maybe lost.
  // A request needs its target attached and up; an answer needs its caller up (a caller need
  // not be attached: a test's client).
  bool DeliverLocked(wire::MessageType type, const std::string& from, const std::string& to,
                     bool is_answer, bool lost_by_chance) {
    SimMessageCounts& c = counts[type];
    ++c.sent;
    const bool receiver_down = is_answer ? crashed.contains(to) : DownLocked(to);
    const bool sender_down = is_answer ? DownLocked(from) : crashed.contains(from);
    const bool lost = lost_by_chance || sender_down || receiver_down || !ConnectedLocked(from, to);
    if (lost) ++c.dropped;
    return !lost;
  }

  mutable std::mutex mutex;
  std::mt19937_64 rng;                     // GUARDED_BY(mutex), as all below
  std::map<std::string, Node> nodes;       // attached
  std::set<std::string> crashed;           // attached or not
  std::map<std::string, size_t> group_of;  // the partition; empty: none
  double drop_probability = 0;
  milliseconds delay_min{0}, delay_max{0};
  std::map<wire::MessageType, SimMessageCounts> counts;
  uint64_t next_request_id = 1;
};

namespace {

// What the network decided for one call, up front, so that the generator is drawn the same
// number of times per call whatever happens (same seed and call order, same faults).
struct CallPlan {
  RequestHandler handler;
  asio::any_io_executor target;
  uint64_t request_id = 0;
  milliseconds request_delay{0}, answer_delay{0};
  bool request_lost = false, answer_lost = false;
};

// The target's answer, handed from its executor to the caller's.
struct Reply {
  explicit Reply(const asio::any_io_executor& caller) : wake(caller) {}
  asio::steady_timer wake;  // on the caller's executor; cancelled when `answer` is set
  std::mutex mutex;
  std::optional<Result<std::string>> answer;  // GUARDED_BY(mutex)
};

class SimTransport final : public Transport {
 public:
  SimTransport(std::shared_ptr<SimNetwork::State> state, std::string self)
      : state_(std::move(state)), self_(std::move(self)) {}

  asio::awaitable<Result<Frame>> Call(std::string to, wire::MessageType type, std::string body,
                                      milliseconds timeout) override {
    const Clock::time_point deadline = Clock::now() + timeout;
    const asio::any_io_executor caller = co_await asio::this_coro::executor;
    const Status timed_out = Status::Timeout(fmt::format(
        "no answer from {} within {} ms; the request may have been applied", to, timeout.count()));
    // Unavailable only while the request has not reached the target (transport.h): once it has,
    // the target may have acted on it.
    const Status cancelled = Status::Unavailable(
        fmt::format("the call to {} was cancelled; the request was not sent", to));
    const Status cancelled_after = Status::MaybeApplied(fmt::format(
        "the call to {} was cancelled after its request was sent; it may have been applied", to));
    if (body.size() + wire::kMinFrameLength > wire::kMaxFrameLength)
      co_return Status::InvalidArgument(
          fmt::format("a {} of {} bytes to {} is over the frame limit of {} bytes",
                      wire::MessageTypeName(type), body.size(), to, wire::kMaxFrameLength));

    CallPlan plan;
    {
      std::lock_guard lock(state_->mutex);
      if (state_->crashed.contains(self_))
        co_return Status::Unavailable(
            fmt::format("cannot connect to {}: {} is crashed (simulated)", to, self_));
      if (state_->DownLocked(to))
        co_return Status::Unavailable(fmt::format(
            "cannot connect to {}: connection refused (simulated: the node is down)", to));
      const SimNetwork::State::Node& node = state_->nodes.at(to);
      plan.handler = node.handler;
      plan.target = node.executor;
      plan.request_id = state_->next_request_id++;
      plan.request_delay = state_->DelayLocked();
      plan.answer_delay = state_->DelayLocked();
      plan.request_lost = state_->Uniform01Locked() < state_->drop_probability;
      plan.answer_lost = state_->Uniform01Locked() < state_->drop_probability;
    }

    // The request crosses the wire: real bytes, decoded as the target's socket reader would.
    Result<Frame> request = DecodeWholeFrame(EncodeFrame(type, plan.request_id, body));
    if (!request.ok()) co_return request.status();
    if (Clock::now() + plan.request_delay >= deadline) {
      if (!co_await SleepUntil(deadline)) co_return cancelled;
      co_return timed_out;
    }
    if (!co_await SleepUntil(Clock::now() + plan.request_delay)) co_return cancelled;
    bool delivered = false;
    {
      std::lock_guard lock(state_->mutex);
      delivered = state_->DeliverLocked(type, self_, to, /*is_answer=*/false, plan.request_lost);
    }
    if (!delivered) {
      if (!co_await SleepUntil(deadline)) co_return cancelled;
      co_return timed_out;
    }

    // The target handles it on its own executor; the answer comes back through `reply`.
    auto reply = std::make_shared<Reply>(caller);
    reply->wake.expires_at(deadline);
    asio::co_spawn(
        plan.target,
        [handler = std::move(plan.handler), frame = std::move(*request)]() mutable {
          return handler(std::move(frame));
        },
        [reply, caller, to](std::exception_ptr e, std::string answer) {
          Result<std::string> result = std::move(answer);
          if (e) {
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& what) {
              result = Status::MaybeApplied(
                  fmt::format("the handler at {} failed: {}; the request may have been applied", to,
                              what.what()));
            } catch (...) {
              result = Status::MaybeApplied(
                  fmt::format("the handler at {} failed; the request may have been applied", to));
            }
          }
          {
            std::lock_guard lock(reply->mutex);
            reply->answer.emplace(std::move(result));
          }
          asio::post(caller, [reply] { reply->wake.cancel(); });
        });
    // The answer may land before this coroutine waits (a caller's executor that is not a strand
    // runs the posted cancel at once), so look before every wait.
    std::optional<Result<std::string>> answer;
    boost::system::error_code ec;
    for (;;) {
      {
        std::lock_guard lock(reply->mutex);
        if (reply->answer) {
          answer = std::move(reply->answer);
          break;
        }
      }
      if (ec == asio::error::operation_aborted && Clock::now() < deadline) {
        // Woken by a cancel that was not ours (the answer is not there): the caller's coroutine
        // is being cancelled.
        break;
      }
      if (Clock::now() >= deadline) break;
      std::tie(ec) = co_await reply->wake.async_wait(kNoThrow);
    }
    if (!answer) {
      if (ec == asio::error::operation_aborted) co_return cancelled_after;
      co_return timed_out;
    }
    if (!answer->ok()) co_return answer->status();

    // The answer crosses the wire back.
    Result<Frame> frame = DecodeWholeFrame(**answer);
    if (!frame.ok()) co_return frame.status().WithContext(fmt::format("the answer of {}", to));
    {
      std::lock_guard lock(state_->mutex);
      delivered =
          state_->DeliverLocked(frame->type, to, self_, /*is_answer=*/true, plan.answer_lost);
    }
    if (!delivered || Clock::now() + plan.answer_delay >= deadline) {
      if (!co_await SleepUntil(deadline)) co_return cancelled_after;
      co_return timed_out;
    }
    if (!co_await SleepUntil(Clock::now() + plan.answer_delay)) co_return cancelled_after;
    if (frame->request_id != plan.request_id)
      co_return Status::Protocol(fmt::format("{} answered request {} with the id {}", to,
                                             plan.request_id, frame->request_id));
    if (frame->type == wire::MessageType::kError) {
      Result<ErrorResponse> error = DecodeMessage<ErrorResponse>(frame->body);
      if (!error.ok()) co_return error.status().WithContext(to);
      co_return ErrorResponseToStatus(*error).WithContext(to);
    }
    co_return std::move(*frame);
  }

 private:
  std::shared_ptr<SimNetwork::State> state_;
  const std::string self_;
};

}  // namespace

SimNetwork::SimNetwork(uint64_t seed) : state_(std::make_shared<State>()) {
  state_->rng.seed(seed);
}

SimNetwork::~SimNetwork() = default;

void SimNetwork::Attach(std::string address, RequestHandler handler,
                        asio::any_io_executor executor) {
  std::lock_guard lock(state_->mutex);
  state_->crashed.erase(address);
  state_->nodes.insert_or_assign(std::move(address),
                                 State::Node{std::move(handler), std::move(executor)});
}

void SimNetwork::Detach(const std::string& address) {
  std::lock_guard lock(state_->mutex);
  state_->nodes.erase(address);
}

std::shared_ptr<Transport> SimNetwork::TransportFor(std::string address) {
  return std::make_shared<SimTransport>(state_, std::move(address));
}

void SimNetwork::Crash(const std::string& address) {
  std::lock_guard lock(state_->mutex);
  state_->crashed.insert(address);
}

void SimNetwork::Recover(const std::string& address) {
  std::lock_guard lock(state_->mutex);
  state_->crashed.erase(address);
}

void SimNetwork::Partition(std::vector<std::vector<std::string>> groups) {
  std::lock_guard lock(state_->mutex);
  state_->group_of.clear();
  for (size_t g = 0; g < groups.size(); ++g)
    for (std::string& address : groups[g]) state_->group_of[std::move(address)] = g;
}

void SimNetwork::Heal() {
  std::lock_guard lock(state_->mutex);
  state_->group_of.clear();
}

void SimNetwork::SetDropProbability(double probability) {
  std::lock_guard lock(state_->mutex);
  state_->drop_probability = std::clamp(probability, 0.0, 1.0);
}

void SimNetwork::SetDelay(milliseconds min, milliseconds max) {
  std::lock_guard lock(state_->mutex);
  state_->delay_min = std::max(milliseconds(0), min);
  state_->delay_max = std::max(state_->delay_min, max);
}

SimMessageCounts SimNetwork::Counts(wire::MessageType type) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->counts.find(type);
  return it == state_->counts.end() ? SimMessageCounts{} : it->second;
}

SimMessageCounts SimNetwork::TotalCounts() const {
  std::lock_guard lock(state_->mutex);
  SimMessageCounts total;
  for (const auto& [type, c] : state_->counts) {
    total.sent += c.sent;
    total.dropped += c.dropped;
  }
  return total;
}

}  // namespace kv
