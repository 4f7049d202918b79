#include "libkv/client/async_client.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unordered_map>
#include <vector>

#include "libkv/client/call_frames.h"
#include "libkv/client/connect.h"
#include "libkv/net/frame_io.h"
#include "libkv/net/handshake.h"
#include "libkv/net/messages.h"

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kIndeterminate = "; the write may or may not have been applied";
}  // namespace

// The socket and the requests waiting on it. Owned jointly by the AsyncClient and its read and
// write loops, so it outlives whichever ends last.
struct AsyncClient::Connection {
  // A call waiting for its answer. The timer is both the deadline and the wake-up: the read
  // loop sets `answer` and cancels it.
  struct Waiter {
    explicit Waiter(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    std::optional<Result<Frame>> answer;
  };

  explicit Connection(tcp::socket s) : socket(std::move(s)), output_ready(socket.get_executor()) {
    output_ready.expires_at(asio::steady_timer::time_point::max());
  }

  // Fails every waiting call with `why` and closes the socket; later calls fail at once.
  void Break(const Status& why) {
    if (!broken.ok()) return;
    broken = why;
    for (auto& [id, waiter] : waiting) {
      waiter->answer.emplace(why);
      waiter->timer.cancel();
    }
    boost::system::error_code ignored;
    socket.close(ignored);
    output_ready.cancel();
  }

  asio::awaitable<void> ReadLoop(std::string where) {
    for (;;) {
      Result<Frame> frame = co_await AsyncReadFrame(socket);
      if (!frame.ok()) {
        Break(Status::Unavailable(
            fmt::format("lost the connection to {}: {}", where, frame.status().message())));
        co_return;
      }
      if (frame->type == wire::MessageType::kError && frame->request_id == 0) {
        Result<ErrorResponse> e = DecodeMessage<ErrorResponse>(frame->body);
        Break(e.ok() ? ErrorResponseToStatus(*e).WithContext(where) : e.status());
        co_return;
      }
      auto it = waiting.find(frame->request_id);
      if (it == waiting.end()) continue;  // its caller timed out and left
      it->second->answer.emplace(std::move(*frame));
      it->second->timer.cancel();
    }
  }

  asio::awaitable<void> WriteLoop() {
    std::vector<std::string> batch;
    while (broken.ok()) {
      if (output.empty()) {
        co_await output_ready.async_wait(kNoThrow);
        continue;
      }
      batch.clear();
      batch.swap(output);
      Status s = co_await AsyncWriteAll(socket, batch);
      if (!s.ok()) Break(Status::Unavailable(s.message()));
    }
  }

  tcp::socket socket;
  asio::steady_timer output_ready;
  std::vector<std::string> output;  // frames for the write loop
  std::unordered_map<uint64_t, Waiter*> waiting;
  Status broken;  // Ok while the connection works
};

AsyncClient::AsyncClient(HostPort node, ClientOptions options,
                         std::shared_ptr<Connection> connection)
    : node_(std::move(node)), options_(std::move(options)), connection_(std::move(connection)) {}

AsyncClient::~AsyncClient() {
  connection_->Break(Status::Unavailable("the client was closed"));
}

size_t AsyncClient::in_flight() const {
  return connection_->waiting.size();
}

asio::awaitable<Result<std::unique_ptr<AsyncClient>>> AsyncClient::Connect(
    asio::any_io_executor executor, HostPort node, ClientOptions options) {
  Result<std::string> handshake = EncodeHandshake(options.cluster_name);
  if (!handshake.ok()) co_return handshake.status();
  tcp::resolver resolver(executor);
  std::optional<tcp::socket> socket;
  // The deadline cuts the attempt short by cancelling whatever it waits on.
  asio::steady_timer deadline(executor);
  deadline.expires_after(options.timeout);
  bool timed_out = false;
  deadline.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    timed_out = true;
    resolver.cancel();
    if (socket) {
      boost::system::error_code ignored;
      socket->close(ignored);
    }
  });
  Result<std::string> server = co_await ConnectAndHandshake(resolver, socket, node, *handshake);
  deadline.cancel();
  if (timed_out)
    co_return Status::Timeout(fmt::format("cannot connect to {}: no answer within {} ms",
                                          node.ToString(), options.timeout.count()));
  if (!server.ok()) co_return server.status();

  auto connection = std::make_shared<Connection>(std::move(*socket));
  const std::string where = node.ToString();
  asio::co_spawn(executor, connection->ReadLoop(where), [connection](std::exception_ptr e) {
    if (e) connection->Break(Status::Unavailable("the client's read loop failed"));
  });
  asio::co_spawn(executor, connection->WriteLoop(), [connection](std::exception_ptr e) {
    if (e) connection->Break(Status::Unavailable("the client's write loop failed"));
  });
  co_return std::unique_ptr<AsyncClient>(
      new AsyncClient(std::move(node), std::move(options), std::move(connection)));
}

asio::awaitable<Result<Frame>> AsyncClient::Call(std::string request_frame, uint64_t request_id,
                                                 bool is_write) {
  // Keeps the connection alive across the wait even if this client is destroyed meanwhile.
  std::shared_ptr<Connection> c = connection_;
  const std::string where = node_.ToString();
  const std::string_view maybe = is_write ? kIndeterminate : "";
  if (!c->broken.ok()) co_return c->broken;
  Connection::Waiter waiter(c->socket.get_executor());
  waiter.timer.expires_after(options_.timeout);
  c->waiting.emplace(request_id, &waiter);
  c->output.push_back(std::move(request_frame));
  c->output_ready.cancel();
  // Woken early (cancelled) by an answer, or at the deadline.
  (void)co_await waiter.timer.async_wait(kNoThrow);
  c->waiting.erase(request_id);
  if (!waiter.answer) {
    co_return Status::Timeout(
        fmt::format("no answer from {} within {} ms{}", where, options_.timeout.count(), maybe));
  }
  Result<Frame>& answer = *waiter.answer;
  if (!answer.ok()) {
    const Status& s = answer.status();
    if (s.code() == ErrorCode::kUnavailable && !maybe.empty())
      co_return Status::Unavailable(fmt::format("{}{}", s.message(), maybe));
    co_return s;
  }
  if (answer->type == wire::MessageType::kError) {
    Result<ErrorResponse> e = DecodeMessage<ErrorResponse>(answer->body);
    if (!e.ok()) co_return e.status();
    co_return ErrorResponseToStatus(*e).WithContext(where);
  }
  co_return std::move(*answer);
}

// Each request is a named local, moved into its encoder: GCC 12 destroys a by-value aggregate
// temporary twice when it is built inside a coroutine's full expression (a double free).
asio::awaitable<Result<GetResult>> AsyncClient::Get(std::string key, ReadOptions options) {
  const uint64_t id = next_request_id_++;
  GetRequest get;
  get.key = std::move(key);
  get.r = options.r;
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
