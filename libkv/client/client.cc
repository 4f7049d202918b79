#include "libkv/client/client.h"

#include "libkv/client/connect.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "libkv/client/call_frames.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/frame_io.h"
#include "libkv/net/handshake.h"
#include "libkv/net/messages.h"
#include "libkv/versioning/context_token.h"

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kIndeterminate = "; the write may or may not have been applied";
}  // namespace

// The client's Asio state: an io_context run only by the calling thread, inside each call.
struct Client::Io {
  asio::io_context io;
  tcp::resolver resolver{io};
  std::optional<Stream> stream;  // set while connected

  void Drop() {
    if (!stream) return;
    stream->Close();
    stream.reset();
  }

  // Runs `op` to its end, or until `timeout`: then cuts the connection (which ends `op` with an
  // error at once) and gives std::nullopt.
  template <class T>
  std::optional<Result<T>> RunFor(asio::awaitable<Result<T>> op,
                                  std::chrono::milliseconds timeout) {
    std::optional<Result<T>> out;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(op)); },
        [&](std::exception_ptr e) {
          if (e && !out) {
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& ex) {
              out.emplace(Status::Unavailable(fmt::format("client failure: {}", ex.what())));
            }
          }
        });
    io.restart();
    io.run_for(timeout);
    if (out) return out;
    resolver.cancel();
    if (stream) {
      boost::system::error_code ignored;
      stream->socket().close(ignored);
    }
    io.restart();
    io.run();  // the cancelled operations complete at once
    stream.reset();
    return std::nullopt;
  }
};

Client::Client(const HostPort& node, ClientOptions options)
    : node_(node), options_(std::move(options)), io_(std::make_unique<Io>()) {}

Client::~Client() = default;

std::unique_ptr<Client> Client::Lazy(const HostPort& node, ClientOptions options) {
  return std::unique_ptr<Client>(new Client(node, std::move(options)));
}

namespace {

// Writes the request, then reads until the answer with the same id.
asio::awaitable<Result<Frame>> Exchange(Stream& stream, const std::string& request,
                                        uint64_t request_id) {
  Status sent = co_await AsyncWriteAll(stream, request);
  if (!sent.ok()) co_return sent;
  for (;;) {
    Result<Frame> frame = co_await AsyncReadFrame(stream);
    if (!frame.ok()) co_return frame.status();
    // Ours, or one about the whole connection (request id 0: the node is closing it).
    if (frame->request_id == request_id || frame->request_id == 0) co_return std::move(*frame);
    // An answer to an earlier request that timed out on our side: not ours, skip it.
  }
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(const HostPort& node, ClientOptions options) {
  std::unique_ptr<Client> client(new Client(node, std::move(options)));
  KV_RETURN_IF_ERROR(client->EnsureConnected(client->options_.timeout));
  return client;
}

Status Client::EnsureConnected(std::chrono::milliseconds timeout) {
  Io& io = *io_;
  if (io.stream) return Status::Ok();
  KV_ASSIGN_OR_RETURN(std::string handshake, EncodeHandshake(options_.cluster_name));
  std::optional<Result<std::string>> server = io.RunFor(
      ConnectAndHandshake(io.resolver, io.stream, node_, handshake, options_.tls.get()), timeout);
  if (!server)
    return Status::Timeout(fmt::format("cannot connect to {}: no answer within {} ms",
                                       node_.ToString(), timeout.count()));
  if (!server->ok()) {
    io.Drop();
    return server->status();
  }
  server_ = std::move(**server);
  return Status::Ok();
}

void Client::DropIfClosedByNode() {
  Io& io = *io_;
  if (!io.stream) return;
  tcp::socket& socket = io.stream->socket();
  // Anything waiting before a request is sent is the node's goodbye (its idle timeout) or a late
  // answer to a call that timed out; either way this connection is done with.
  boost::system::error_code ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  char byte;
  socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return;
  io.Drop();
}

Result<Frame> Client::Call(std::string request_frame, uint64_t request_id, bool is_write) {
  Io& io = *io_;
  const std::string where = node_.ToString();
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  DropIfClosedByNode();
  for (int attempt = 1;; ++attempt) {
    KV_RETURN_IF_ERROR(EnsureConnected(options_.timeout));
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::optional<Result<Frame>> answer = io.RunFor(Exchange(*io.stream, request_frame, request_id),
                                                    std::max(left, std::chrono::milliseconds(1)));
    if (!answer) {
      return Status::Timeout(fmt::format("no answer from {} within {} ms{}", where,
                                         options_.timeout.count(), is_write ? kIndeterminate : ""));
    }
    if (!answer->ok()) {
      const Status& s = answer->status();
      io.Drop();
      if (s.code() != ErrorCode::kUnavailable) return s;
      // The request went to the socket: a write may have reached the node and been applied.
      const std::string lost = fmt::format("lost the connection to {}: {}", where, s.message());
      if (is_write) return Status::MaybeApplied(lost + std::string(kIndeterminate));
      return Status::Unavailable(lost);
    }
    Frame& frame = **answer;
    if (frame.type != wire::MessageType::kError) return std::move(frame);
    Result<ErrorResponse> e = DecodeMessage<ErrorResponse>(frame.body);
    if (!e.ok()) {
      io.Drop();
      return e.status();
    }
    const Status status = ErrorResponseToStatus(*e).WithContext(where);
    if (frame.request_id != 0) return status;
    io.Drop();
    // The node closed the connection, and Unavailable says it read nothing unanswered (its idle
    // timeout): the request never arrived, so once more on a new connection.
    if (status.Is(ErrorCode::kUnavailable) && attempt == 1) continue;
    return status;
  }
}

Status CheckContextToken(std::string_view context) {
  if (context.empty()) return Status::Ok();
  Result<VectorClock> clock = DecodeContextToken(context);
  if (clock.ok()) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("the context is not a context token a get returned ({}); nothing was written",
                  clock.status().message()));
}

Result<GetResult> Client::Get(std::string_view key, const ReadOptions& options) {
  const uint64_t id = NextRequestId();
  KV_ASSIGN_OR_RETURN(
      std::string request,
      EncodeGetCall(
          GetRequest{.key = std::string(key), .r = options.r, .local_zone = options.local_zone},
          id));
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(request), id, false));
  return DecodeGetAnswer(answer);
}

Status Client::Put(std::string_view key, std::string_view value, const WriteOptions& options) {
  const uint64_t id = NextRequestId();
  KV_ASSIGN_OR_RETURN(std::string request,
                      EncodePutCall(PutRequest{.key = std::string(key),
                                               .value = std::string(value),
                                               .context = options.context,
                                               .w = options.w,
                                               .forwarded = false,
                                               .primaries_only = options.primaries_only,
                                               .local_zone = options.local_zone},
                                    id));
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(request), id, true));
  return DecodePutAnswer(answer);
}

Status Client::Delete(std::string_view key, const WriteOptions& options) {
  const uint64_t id = NextRequestId();
  KV_ASSIGN_OR_RETURN(std::string request,
                      EncodeDeleteCall(DeleteRequest{.key = std::string(key),
                                                     .context = options.context,
                                                     .w = options.w,
                                                     .forwarded = false,
                                                     .primaries_only = options.primaries_only,
                                                     .local_zone = options.local_zone},
                                       id));
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(request), id, true));
  return DecodeDeleteAnswer(answer);
}

Result<RingResponse> Client::Ring(std::string_view key) {
  const uint64_t id = NextRequestId();
  KV_ASSIGN_OR_RETURN(std::string request,
                      EncodeRingCall(RingRequest{.key = std::string(key)}, id));
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(request), id, false));
  return DecodeRingAnswer(answer);
}

Result<LeaveResponse> Client::Leave(const LeaveRequest& request) {
  const uint64_t id = NextRequestId();
  std::string frame = EncodeMessageFrame(request, id);
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(frame), id, false));
  return DecodeLeaveAnswer(answer);
}

Result<StatsResponse> Client::Stats() {
  const uint64_t id = NextRequestId();
  std::string frame = EncodeMessageFrame(StatsRequest{}, id);
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(frame), id, false));
  return DecodeStatsAnswer(answer);
}

Result<MetricsResponse> Client::Metrics() {
  const uint64_t id = NextRequestId();
  std::string frame = EncodeMessageFrame(MetricsRequest{}, id);
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(frame), id, false));
  return DecodeMetricsAnswer(answer);
}

Result<RemoveResponse> Client::Remove(const RemoveRequest& request) {
  const uint64_t id = NextRequestId();
  std::string frame = EncodeMessageFrame(request, id);
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(frame), id, false));
  return DecodeRemoveAnswer(answer);
}

Result<RepairStatusResponse> Client::RepairStatus() {
  const uint64_t id = NextRequestId();
  std::string frame = EncodeMessageFrame(RepairStatusRequest{}, id);
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(frame), id, false));
  return DecodeRepairStatusAnswer(answer);
}

Result<CleanupResponse> Client::Cleanup(const CleanupRequest& request) {
  const uint64_t id = NextRequestId();
  std::string frame = EncodeMessageFrame(request, id);
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(frame), id, false));
  return DecodeCleanupAnswer(answer);
}

Result<RepairResponse> Client::Repair(const RepairRequest& request) {
  const uint64_t id = NextRequestId();
  std::string frame = EncodeMessageFrame(request, id);
  KV_ASSIGN_OR_RETURN(Frame answer, Call(std::move(frame), id, false));
  return DecodeRepairAnswer(answer);
}

}  // namespace kv
