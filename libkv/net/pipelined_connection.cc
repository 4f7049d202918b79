#include "libkv/net/pipelined_connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "libkv/net/connect.h"
#include "libkv/net/frame_io.h"
#include "libkv/net/frame_reader.h"
#include "libkv/net/handshake.h"
#include "libkv/net/messages.h"

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}  // namespace

asio::awaitable<Result<std::shared_ptr<PipelinedConnection>>> PipelinedConnection::Connect(
    asio::any_io_executor executor, HostPort peer, ConnectOptions options) {
  Result<std::string> handshake = EncodeHandshake(options.cluster_name);
  if (!handshake.ok()) co_return handshake.status();
  tcp::resolver resolver(executor);
  std::optional<Stream> stream;
  // The deadline cuts the attempt short by cancelling whatever it waits on.
  asio::steady_timer deadline(executor);
  deadline.expires_after(options.timeout);
  bool timed_out = false;
  deadline.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    timed_out = true;
    resolver.cancel();
    if (stream) stream->Close();
  });
  Result<std::string> server = co_await ConnectAndHandshake(
      resolver, stream, peer, *handshake, options.refused_hint, options.tls.get());
  deadline.cancel();
  if (timed_out)
    co_return Status::Timeout(fmt::format("cannot connect to {}: no answer within {} ms",
                                          peer.ToString(), options.timeout.count()));
  if (!server.ok()) co_return server.status();
  auto connection =
      std::make_shared<PipelinedConnection>(Handshaken{}, std::move(*stream), peer.ToString());
  connection->Start();
  co_return connection;
}

PipelinedConnection::PipelinedConnection(Handshaken, Stream stream, std::string peer)
    : stream_(std::move(stream)),
      peer_(std::move(peer)),
      output_ready_(stream_.get_executor(), asio::steady_timer::time_point::max()) {}

PipelinedConnection::~PipelinedConnection() = default;

void PipelinedConnection::Start() {
  auto self = shared_from_this();
  const auto executor = stream_.get_executor();
  asio::co_spawn(executor, ReadLoop(), [self](std::exception_ptr e) {
    if (e) self->Close(Status::Unavailable(fmt::format("{}: the read loop failed", self->peer_)));
  });
  asio::co_spawn(executor, WriteLoop(), [self](std::exception_ptr e) {
    if (e) self->Close(Status::Unavailable(fmt::format("{}: the write loop failed", self->peer_)));
  });
}

void PipelinedConnection::Close(const Status& why) {
  if (!broken_.ok()) return;
  const Status broken =
      why.ok() ? Status::Unavailable(fmt::format("connection to {} closed", peer_)) : why;
  // A request that went to the socket may have reached the peer and been acted on: its caller
  // must not take the break for "not sent".
  const Status maybe_sent =
      broken.Is(ErrorCode::kUnavailable)
          ? Status::MaybeApplied(
                fmt::format("{}; the request was sent and may have been applied", broken.message()))
          : broken;
  Fail(broken, maybe_sent);
}

void PipelinedConnection::Fail(const Status& why, const Status& for_sent) {
  if (!broken_.ok()) return;
  broken_ = why;
  for (auto& [id, waiter] : waiting_) {
    waiter->answer.emplace(waiter->sent ? for_sent : broken_);
    waiter->timer.cancel();
  }
  output_.clear();
  output_waiters_.clear();
  boost::system::error_code ignored;
  stream_.socket().close(ignored);
  output_ready_.cancel();
}

asio::awaitable<void> PipelinedConnection::ReadLoop() {
  FrameReader reader;
  while (broken_.ok()) {
    Result<std::optional<Frame>> next = reader.Next();
    if (next.ok() && !*next) {
      Status read = co_await AsyncReadMore(stream_, reader);
      if (read.ok()) continue;
      next = read;
    }
    if (!next.ok()) {
      Close(Status::Unavailable(
          fmt::format("lost the connection to {}: {}", peer_, next.status().message())));
      co_return;
    }
    Frame& frame = **next;
    if (frame.type == wire::MessageType::kError && frame.request_id == 0) {
      // The peer is closing the connection and says why (idle, a protocol error). Its code
      // speaks for every request it has not answered: Unavailable, that it read none of them
      // (docs/formats.md), so they fail as unsent and may be sent again.
      Result<ErrorResponse> e = DecodeMessage<ErrorResponse>(frame.body);
      const Status why =
          e.ok() ? ErrorResponseToStatus(*e).WithContext(peer_) : e.status().WithContext(peer_);
      if (why.Is(ErrorCode::kUnavailable)) {
        closed_unread_ = true;
        Fail(why, why);
      } else {
        Close(why);
      }
      co_return;
    }
    auto it = waiting_.find(frame.request_id);
    if (it == waiting_.end()) continue;  // its caller timed out and left
    it->second->answer.emplace(std::move(frame));
    it->second->timer.cancel();
  }
}

asio::awaitable<void> PipelinedConnection::WriteLoop() {
  std::vector<std::string> batch;
  while (broken_.ok()) {
    if (output_.empty()) {
      // Woken (cancelled) by a call with a frame to send, or by Close.
      (void)co_await output_ready_.async_wait(kNoThrow);
      continue;
    }
    batch.clear();
    batch.swap(output_);
    for (const std::shared_ptr<Waiter>& waiter : output_waiters_) waiter->sent = true;
    output_waiters_.clear();
    Status written = co_await AsyncWriteAll(stream_, batch);
    if (!written.ok())
      Close(Status::Unavailable(
          fmt::format("lost the connection to {}: {}", peer_, written.message())));
  }
}

asio::awaitable<Result<Frame>> PipelinedConnection::Call(std::string request_frame,
                                                         uint64_t request_id,
                                                         std::chrono::milliseconds timeout) {
  // Keeps the connection alive across the wait even if its owner lets go meanwhile.
  auto self = shared_from_this();
  if (!broken_.ok()) co_return broken_;
  auto waiter = std::make_shared<Waiter>(stream_.get_executor());
  waiter->timer.expires_after(timeout);
  waiting_.emplace(request_id, waiter);
  output_.push_back(std::move(request_frame));
  output_waiters_.push_back(waiter);
  output_ready_.cancel();
  auto [ec] = co_await waiter->timer.async_wait(kNoThrow);
  waiting_.erase(request_id);
  if (!waiter->answer) {
    // The timer ran out, or the caller was cancelled: the answer's wake-up always sets `answer`
    // before it cancels the timer.
    const bool cancelled = ec == asio::error::operation_aborted;
    if (!waiter->sent) {
      // Still queued (the socket took no more): take it back, so that it is never sent.
      auto at = std::find(output_waiters_.begin(), output_waiters_.end(), waiter);
      if (at != output_waiters_.end()) {
        output_.erase(output_.begin() + (at - output_waiters_.begin()));
        output_waiters_.erase(at);
      }
      co_return Status::Unavailable(
          cancelled ? fmt::format("the call to {} was cancelled; the request was not sent", peer_)
                    : fmt::format("could not send to {} within {} ms; the request was not sent",
                                  peer_, timeout.count()));
    }
    if (cancelled)
      co_return Status::MaybeApplied(fmt::format(
          "the call to {} was cancelled after its request was sent; it may have been applied",
          peer_));
    co_return Status::Timeout(
        fmt::format("no answer from {} within {} ms", peer_, timeout.count()));
  }
  Result<Frame>& answer = *waiter->answer;
  if (!answer.ok()) co_return answer.status();
  if (answer->type == wire::MessageType::kError) {
    Result<ErrorResponse> e = DecodeMessage<ErrorResponse>(answer->body);
    if (!e.ok()) co_return e.status().WithContext(peer_);
    co_return ErrorResponseToStatus(*e).WithContext(peer_);
  }
  co_return std::move(answer);
}

}  // namespace kv
