#include "libkv/client/async_client.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libkv/client/call_frames.h"
#include "libkv/client/connect.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/pipelined_connection.h"

namespace kv {

namespace asio = boost::asio;

namespace {
constexpr std::string_view kIndeterminate = "; the write may or may not have been applied";
constexpr size_t kKeptForRetryBytes = 64 << 10;
}  // namespace

AsyncClient::AsyncClient(asio::any_io_executor executor, HostPort node, ClientOptions options,
                         std::shared_ptr<PipelinedConnection> connection)
    : executor_(std::move(executor)),
      node_(std::move(node)),
      options_(std::move(options)),
      reconnected_(std::make_unique<asio::steady_timer>(executor_)),
      connection_(std::move(connection)) {}

AsyncClient::~AsyncClient() {
  connection_->Close(Status::Unavailable("the client was closed"));
}

size_t AsyncClient::in_flight() const {
  return connection_->in_flight();
}

asio::awaitable<Result<std::unique_ptr<AsyncClient>>> AsyncClient::Connect(
    asio::any_io_executor executor, HostPort node, ClientOptions options) {
  ConnectOptions connect{.cluster_name = options.cluster_name,
                         .timeout = options.timeout,
                         .refused_hint = std::string(kClientRefusedHint),
                         .tls = options.tls};
  Result<std::shared_ptr<PipelinedConnection>> connection =
      co_await PipelinedConnection::Connect(executor, node, std::move(connect));
  if (!connection.ok()) co_return connection.status();
  co_return std::unique_ptr<AsyncClient>(
      new AsyncClient(executor, std::move(node), std::move(options), std::move(*connection)));
}

asio::awaitable<Result<std::shared_ptr<PipelinedConnection>>> AsyncClient::Usable() {
  while (reconnecting_) {
    reconnected_->expires_at(asio::steady_timer::time_point::max());
    (void)co_await reconnected_->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (connection_->broken().ok() || !connection_->closed_unread()) co_return connection_;
  reconnecting_ = true;
  ConnectOptions connect{.cluster_name = options_.cluster_name,
                         .timeout = options_.timeout,
                         .refused_hint = std::string(kClientRefusedHint)};
  Result<std::shared_ptr<PipelinedConnection>> fresh =
      co_await PipelinedConnection::Connect(executor_, node_, std::move(connect));
  reconnecting_ = false;
  reconnected_->cancel();
  if (!fresh.ok()) co_return fresh.status();
  connection_ = std::move(*fresh);
  co_return connection_;
}

asio::awaitable<Result<Frame>> AsyncClient::Call(std::string request_frame, uint64_t request_id,
                                                 bool is_write) {
  Result<Frame> answer = Status::Unavailable("no attempt");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    Result<std::shared_ptr<PipelinedConnection>> connection = co_await Usable();
    if (!connection.ok()) co_return connection.status();
    // Not sent at all: nothing indeterminate about it.
    if (!(*connection)->broken().ok()) co_return (*connection)->broken();
    // A small frame is kept for a second attempt (a copy is cheap next to a round trip); a
    // large one caught by the race below fails Unavailable, unsent, for the caller to retry.
    const bool keep = attempt == 1 && request_frame.size() <= kKeptForRetryBytes;
    std::string frame = keep ? request_frame : std::move(request_frame);
    answer = co_await (*connection)->Call(std::move(frame), request_id, options_.timeout);
    // Caught by the node's idle close, which read none of it: once more on a new connection.
    if (keep && !answer.ok() && answer.status().Is(ErrorCode::kUnavailable) &&
        (*connection)->closed_unread())
      continue;
    break;
  }
  if (answer.ok() || !is_write) co_return answer;
  // A write that was sent but not answered is indeterminate; the caller must know. (A lost
  // connection already says so with MaybeApplied, and Unavailable means it was not sent.)
  const Status& s = answer.status();
  if (s.code() == ErrorCode::kTimeout)
    co_return Status(s.code(), fmt::format("{}{}", s.message(), kIndeterminate));
  co_return answer;
}

// Each request is a named local, moved into its encoder: GCC 12 destroys a by-value aggregate
// temporary twice when it is built inside a coroutine's full expression (a double free).
asio::awaitable<Result<GetResult>> AsyncClient::Get(std::string key, ReadOptions options) {
  const uint64_t id = next_request_id_++;
  GetRequest get;
  get.key = std::move(key);
  get.r = options.r;
  get.local_zone = std::move(options.local_zone);
  Result<std::string> request = EncodeGetCall(std::move(get), id);
  if (!request.ok()) co_return request.status();
  Result<Frame> answer = co_await Call(std::move(*request), id, false);
  if (!answer.ok()) co_return answer.status();
  co_return DecodeGetAnswer(*answer);
}

asio::awaitable<Status> AsyncClient::Put(std::string key, std::string value, WriteOptions options) {
  const uint64_t id = next_request_id_++;
  PutRequest put;
  put.key = std::move(key);
  put.value = std::move(value);
  put.context = std::move(options.context);
  put.w = options.w;
  put.primaries_only = options.primaries_only;
  put.local_zone = std::move(options.local_zone);
  Result<std::string> request = EncodePutCall(std::move(put), id);
  if (!request.ok()) co_return request.status();
  Result<Frame> answer = co_await Call(std::move(*request), id, true);
  if (!answer.ok()) co_return answer.status();
  co_return DecodePutAnswer(*answer);
}

asio::awaitable<Status> AsyncClient::Delete(std::string key, WriteOptions options) {
  const uint64_t id = next_request_id_++;
  DeleteRequest del;
  del.key = std::move(key);
  del.context = std::move(options.context);
  del.w = options.w;
  del.primaries_only = options.primaries_only;
  del.local_zone = std::move(options.local_zone);
  Result<std::string> request = EncodeDeleteCall(std::move(del), id);
  if (!request.ok()) co_return request.status();
  Result<Frame> answer = co_await Call(std::move(*request), id, true);
  if (!answer.ok()) co_return answer.status();
  co_return DecodeDeleteAnswer(*answer);
}

asio::awaitable<Result<RingResponse>> AsyncClient::Ring(std::string key) {
  const uint64_t id = next_request_id_++;
  RingRequest ring;
  ring.key = std::move(key);
  Result<std::string> request = EncodeRingCall(std::move(ring), id);
  if (!request.ok()) co_return request.status();
  Result<Frame> answer = co_await Call(std::move(*request), id, false);
  if (!answer.ok()) co_return answer.status();
  co_return DecodeRingAnswer(*answer);
}

}  // namespace kv
