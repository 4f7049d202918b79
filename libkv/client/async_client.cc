#include "libkv/client/async_client.h"

#include <fmt/format.h>

#include "libkv/base/limits.h"
#include "libkv/client/connect.h"
#include "libkv/net/messages.h"
#include "libkv/net/pipelined_connection.h"

namespace kv {

namespace asio = boost::asio;

namespace {
constexpr std::string_view kIndeterminate = "; the write may or may not have been applied";
}  // namespace

AsyncClient::AsyncClient(HostPort node, ClientOptions options,
                         std::shared_ptr<PipelinedConnection> connection)
    : node_(std::move(node)), options_(std::move(options)), connection_(std::move(connection)) {}

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
                         .refused_hint = std::string(kClientRefusedHint)};
  Result<std::shared_ptr<PipelinedConnection>> connection =
      co_await PipelinedConnection::Connect(executor, node, std::move(connect));
  if (!connection.ok()) co_return connection.status();
  co_return std::unique_ptr<AsyncClient>(
      new AsyncClient(std::move(node), std::move(options), std::move(*connection)));
}

asio::awaitable<Result<Frame>> AsyncClient::Call(std::string request_frame, uint64_t request_id,
                                                 bool is_write) {
  // Not sent at all: nothing indeterminate about it.
  if (!connection_->broken().ok()) co_return connection_->broken();
  Result<Frame> answer =
      co_await connection_->Call(std::move(request_frame), request_id, options_.timeout);
  if (answer.ok() || !is_write) co_return answer;
  // A write that was sent but not answered is indeterminate; the caller must know.
  const Status& s = answer.status();
  if (s.code() == ErrorCode::kTimeout || s.code() == ErrorCode::kUnavailable)
    co_return Status(s.code(), fmt::format("{}{}", s.message(), kIndeterminate));
  co_return answer;
}

asio::awaitable<Status> AsyncClient::Put(std::string key, std::string value) {
  if (Status s = CheckKeyAndValue(key, value); !s.ok()) co_return s;
  const uint64_t id = next_request_id_++;
  std::string frame =
      EncodeMessageFrame(PutRequest{.key = std::move(key), .value = std::move(value), .context = {}, .w = 0, .forwarded = false}, id);
  Result<Frame> answer = co_await Call(std::move(frame), id, true);
  if (!answer.ok()) co_return answer.status();
  if (answer->type != wire::MessageType::kPutResponse)
    co_return Status::Protocol(
        fmt::format("a put was answered with a {} message", wire::MessageTypeName(answer->type)));
  co_return DecodeMessage<PutResponse>(answer->body).status();
}

asio::awaitable<Status> AsyncClient::Delete(std::string key) {
  if (Status s = CheckKey(key); !s.ok()) co_return s;
  const uint64_t id = next_request_id_++;
  std::string frame = EncodeMessageFrame(DeleteRequest{.key = std::move(key), .context = {}, .w = 0, .forwarded = false}, id);
  Result<Frame> answer = co_await Call(std::move(frame), id, true);
  if (!answer.ok()) co_return answer.status();
  if (answer->type != wire::MessageType::kDeleteResponse)
    co_return Status::Protocol(fmt::format("a delete was answered with a {} message",
                                           wire::MessageTypeName(answer->type)));
  co_return DecodeMessage<DeleteResponse>(answer->body).status();
}

asio::awaitable<Result<std::optional<std::string>>> AsyncClient::Get(std::string key) {
  if (Status s = CheckKey(key); !s.ok()) co_return s;
  const uint64_t id = next_request_id_++;
  std::string frame = EncodeMessageFrame(GetRequest{.key = std::move(key), .r = 0}, id);
  Result<Frame> answer = co_await Call(std::move(frame), id, false);
  if (!answer.ok()) co_return answer.status();
  if (answer->type != wire::MessageType::kGetResponse)
    co_return Status::Protocol(
        fmt::format("a get was answered with a {} message", wire::MessageTypeName(answer->type)));
  Result<GetResponse> response = DecodeMessage<GetResponse>(answer->body);
  if (!response.ok()) co_return response.status();
  if (!response->found) co_return std::optional<std::string>();
  co_return std::optional<std::string>(std::move(response->siblings)  /* bridge */);
}

}  // namespace kv
