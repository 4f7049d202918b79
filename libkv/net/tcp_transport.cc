#include "libkv/net/tcp_transport.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <optional>
#include <unordered_set>
#include <vector>

#include "libkv/net/host_port.h"
#include "libkv/net/pipelined_connection.h"

namespace kv {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Rounded up: a call never gives up before its deadline.
milliseconds Remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0), std::chrono::ceil<milliseconds>(deadline - Clock::now()));
}

// co_spawn(..., use_awaitable) needs a default-constructible result; Result<T> is not.
template <class T>
asio::awaitable<std::optional<T>> AsOptional(asio::awaitable<T> inner) {
  co_return co_await std::move(inner);
}

}  // namespace

// One peer address on one shard: its connection (or the attempt to open one) and its in-flight
// slots. Everything here runs on `strand_` (a shard's single-threaded executor, or a strand):
// calls come in on it, or through co_spawn onto it.
class TcpTransport::Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(asio::any_io_executor strand, HostPort address, ConnectOptions connect_options,
       size_t max_in_flight)
      : strand_(std::move(strand)),
        address_(std::move(address)),
        where_(address_.ToString()),
        connect_options_(std::move(connect_options)),
        max_in_flight_(std::max<size_t>(1, max_in_flight)) {}

  const asio::any_io_executor& strand() const { return strand_; }

  // Runs on strand_. Static so that the coroutine frame owns its Peer.
  static asio::awaitable<Result<Frame>> Call(std::shared_ptr<Peer> self, wire::MessageType type,
                                             std::string body, milliseconds timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    if (!self->closed_.ok()) co_return self->closed_;
    Status slot = co_await self->AcquireSlot(deadline, timeout);
    if (!slot.ok()) co_return slot;
    Result<Frame> answer = co_await self->CallHoldingSlot(type, std::move(body), deadline, timeout);
    self->ReleaseSlot();
    co_return answer;
  }

  // Runs on strand_. Fails everything waiting here and closes the connection.
  void Close(const Status& why) {
    if (!closed_.ok()) return;
    closed_ = why;
    if (connection_) connection_->Close(why);
    connection_.reset();
    if (attempt_) {
      attempt_->result.emplace(why);
      for (auto& waiter : attempt_->waiters) waiter->cancel();
    }
    for (auto& waiter : slot_waiters_) waiter->timer.cancel();
    slot_waiters_.clear();
  }

 private:
  // Calls waiting for the same connection attempt share it. `result` is set once, when the
  // attempt ends or the peer is closed; each waiter's timer carries its own deadline and is
  // cancelled to wake it.
  struct ConnectAttempt {
    std::optional<Result<std::shared_ptr<PipelinedConnection>>> result;
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
  };

  // A call waiting for an in-flight slot, in arrival order. A slot is handed over (granted)
  // rather than freed, so a late arrival cannot overtake the queue.
  struct SlotWaiter {
    explicit SlotWaiter(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool granted = false;
  };

  asio::awaitable<Status> AcquireSlot(Clock::time_point deadline, milliseconds timeout) {
    if (in_flight_ < max_in_flight_) {
      ++in_flight_;
      co_return Status::Ok();
    }
    auto waiter = std::make_shared<SlotWaiter>(strand_);
    waiter->timer.expires_at(deadline);
    slot_waiters_.push_back(waiter);
    auto [ec] = co_await waiter->timer.async_wait(kNoThrow);
    if (waiter->granted) {
      if (closed_.ok()) co_return Status::Ok();
      ReleaseSlot();
      co_return closed_;
    }
    std::erase(slot_waiters_, waiter);
    if (!closed_.ok()) co_return closed_;
    if (ec == asio::error::operation_aborted)
      co_return Status::Unavailable(fmt::format("the call to {} was cancelled", where_));
    co_return Status::Unavailable(fmt::format(
        "could not send to {} within {} ms: all {} request slots to it were taken; the request "
        "was not sent",
        where_, timeout.count(), max_in_flight_));
  }

  void ReleaseSlot() {
    if (slot_waiters_.empty()) {
      --in_flight_;
      return;
    }
    std::shared_ptr<SlotWaiter> next = std::move(slot_waiters_.front());
    slot_waiters_.pop_front();
    next->granted = true;
    next->timer.cancel();
  }

  asio::awaitable<Result<Frame>> CallHoldingSlot(wire::MessageType type, std::string body,
                                                 Clock::time_point deadline, milliseconds timeout) {
    for (int attempt = 1;; ++attempt) {
      Result<std::shared_ptr<PipelinedConnection>> connection =
          co_await ConnectionBefore(deadline, timeout);
      if (!connection.ok()) {
        // Nothing was sent, so the caller may try another node: a connect that timed out is
        // Unavailable here (transport.h), whatever PipelinedConnection::Connect calls it.
        const Status& s = connection.status();
        if (s.Is(ErrorCode::kTimeout)) co_return Status::Unavailable(s.message());
        co_return s;
      }
      const milliseconds left = Remaining(deadline);
      if (left <= milliseconds(0))
        co_return Status::Unavailable(fmt::format(
            "could not send to {} within {} ms: connecting took it all; the request was not sent",
            where_, timeout.count()));
      PipelinedConnection& c = **connection;
      const uint64_t request_id = c.NextRequestId();
      std::string frame = EncodeFrame(type, request_id, body);
      Result<Frame> answer = co_await c.Call(std::move(frame), request_id, left);
      // The peer closed the connection (its idle timeout) reading none of what it had not
      // answered: the request never arrived, so once more on a new connection.
      if (attempt == 1 && !answer.ok() && answer.status().Is(ErrorCode::kUnavailable) &&
          c.closed_unread())
        continue;
      if (answer.status().code() == ErrorCode::kTimeout)
        co_return Status::Timeout(
            fmt::format("no answer from {} within {} ms; the request may have been applied", where_,
                        timeout.count()));
      co_return answer;
    }
  }

  // The working connection, or one opened for it (shared with concurrent callers), by deadline.
  asio::awaitable<Result<std::shared_ptr<PipelinedConnection>>> ConnectionBefore(
      Clock::time_point deadline, milliseconds timeout) {
    if (connection_ && connection_->broken().ok()) co_return connection_;
    if (!attempt_) {
      attempt_ = std::make_shared<ConnectAttempt>();
      auto attempt = attempt_;
      asio::co_spawn(strand_, Connect(shared_from_this(), attempt),
                     [attempt](std::exception_ptr e) {
                       if (e && !attempt->result)
                         attempt->result.emplace(Status::Unavailable("connecting failed"));
                       for (auto& waiter : attempt->waiters) waiter->cancel();
                     });
    }
    std::shared_ptr<ConnectAttempt> attempt = attempt_;
    auto wake = std::make_shared<asio::steady_timer>(strand_, deadline);
    attempt->waiters.push_back(wake);
    auto [ec] = co_await wake->async_wait(kNoThrow);
    std::erase(attempt->waiters, wake);
    if (attempt->result) co_return *attempt->result;
    if (ec == asio::error::operation_aborted)
      co_return Status::Unavailable(fmt::format("the call to {} was cancelled", where_));
    co_return Status::Unavailable(
        fmt::format("could not send to {} within {} ms: still connecting; the request was not sent",
                    where_, timeout.count()));
  }

  // One connection attempt; its result goes to every call that waits for it.
  static asio::awaitable<void> Connect(std::shared_ptr<Peer> self,
                                       std::shared_ptr<ConnectAttempt> attempt) {
    Result<std::shared_ptr<PipelinedConnection>> connection = co_await PipelinedConnection::Connect(
        self->strand_, self->address_, self->connect_options_);
    if (!self->closed_.ok()) {
      if (connection.ok()) (*connection)->Close(self->closed_);
    } else if (connection.ok()) {
      self->connection_ = *connection;
    }
    if (!attempt->result) attempt->result.emplace(std::move(connection));
    if (self->attempt_ == attempt) self->attempt_.reset();
    // The waiters are woken by co_spawn's completion handler, after this frame is gone.
  }

  const asio::any_io_executor strand_;
  const HostPort address_;
  const std::string where_;
  const ConnectOptions connect_options_;
  const size_t max_in_flight_;
  Status closed_;                                    // Ok until Close
  std::shared_ptr<PipelinedConnection> connection_;  // the last one opened; maybe broken
  std::shared_ptr<ConnectAttempt> attempt_;          // the attempt under way, if any
  size_t in_flight_ = 0;                             // slots taken
  std::deque<std::shared_ptr<SlotWaiter>> slot_waiters_;
};

TcpTransport::TcpTransport(asio::any_io_executor executor, std::string cluster_name,
                           TcpTransportOptions options)
    : cluster_name_(std::move(cluster_name)), options_(std::move(options)) {
  shards_.push_back(std::make_unique<Shard>());
  shards_.back()->executor = std::move(executor);
}

TcpTransport::TcpTransport(const std::vector<asio::io_context*>& shards, std::string cluster_name,
                           TcpTransportOptions options)
    : cluster_name_(std::move(cluster_name)), options_(std::move(options)) {
  for (asio::io_context* context : shards) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->context = context;
    shards_.back()->executor = context->get_executor();
  }
}

TcpTransport::~TcpTransport() {
  Close();
}

size_t TcpTransport::peer_count() const {
  std::unordered_set<std::string> addresses;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (const auto& [address, peer] : shard->peers) addresses.insert(address);
  }
  return addresses.size();
}

void TcpTransport::Close() {
  closed_ = true;
  for (const auto& shard : shards_) {
    std::unordered_map<std::string, std::shared_ptr<Peer>> peers;
    {
      std::lock_guard lock(shard->mutex);
      peers.swap(shard->peers);
    }
    for (auto& [address, peer] : peers) {
      asio::post(peer->strand(),
                 [peer] { peer->Close(Status::Unavailable("the transport was closed")); });
    }
  }
}

TcpTransport::Shard* TcpTransport::ShardRunning(const asio::any_io_executor& executor) {
  const asio::io_context* context = nullptr;
  if (auto* plain = executor.target<asio::io_context::executor_type>())
    context = &plain->context();
  else if (auto* strand = executor.target<asio::strand<asio::io_context::executor_type>>())
    context = &strand->get_inner_executor().context();
  if (context == nullptr) return nullptr;
  for (const auto& shard : shards_)
    if (shard->context == context) return shard.get();
  return nullptr;
}

Result<std::shared_ptr<TcpTransport::Peer>> TcpTransport::PeerFor(Shard& shard,
                                                                  const std::string& address) {
  std::lock_guard lock(shard.mutex);
  // Checked under the shard's lock, which Close takes after setting closed_: no peer is added to
  // a shard Close has already emptied.
  if (closed_)
    return Status::Unavailable(fmt::format("cannot call {}: the transport was closed", address));
  auto it = shard.peers.find(address);
  if (it != shard.peers.end()) return it->second;
  Result<HostPort> host_port = ParseHostPort(address);
  if (!host_port.ok()) return host_port.status();
  ConnectOptions connect{.cluster_name = cluster_name_,
                         .timeout = options_.connect_timeout,
                         .refused_hint = "",
                         .tls = options_.tls};
  // A shard's io_context runs on one thread, so its peers need no strand of their own.
  asio::any_io_executor executor =
      shard.context ? shard.executor : asio::make_strand(shard.executor);
  auto peer = std::make_shared<Peer>(std::move(executor), std::move(*host_port), std::move(connect),
                                     options_.max_in_flight_per_peer);
  shard.peers.emplace(address, peer);
  return peer;
}

asio::awaitable<Result<Frame>> TcpTransport::Call(std::string address, wire::MessageType type,
                                                  std::string body, milliseconds timeout) {
  if (body.size() + wire::kMinFrameLength > wire::kMaxFrameLength)
    co_return Status::InvalidArgument(
        fmt::format("a {} of {} bytes to {} is over the frame limit of {} bytes",
                    wire::MessageTypeName(type), body.size(), address, wire::kMaxFrameLength));
  const asio::any_io_executor caller = co_await asio::this_coro::executor;
  Shard* own = ShardRunning(caller);
  Result<std::shared_ptr<Peer>> peer = PeerFor(own ? *own : *shards_.front(), address);
  if (!peer.ok()) co_return peer.status();
  // On the peer's own thread already: the call runs here, with no hand-off.
  if (own) co_return co_await Peer::Call(std::move(*peer), type, std::move(body), timeout);
  std::optional<Result<Frame>> answer = co_await asio::co_spawn(
      (*peer)->strand(), AsOptional(Peer::Call(*peer, type, std::move(body), timeout)),
      asio::use_awaitable);
  co_return std::move(*answer);
}

}  // namespace kv
