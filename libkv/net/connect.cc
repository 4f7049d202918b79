#include "libkv/net/connect.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libkv/net/frame_io.h"
#include "libkv/net/messages.h"

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}  // namespace

asio::awaitable<Result<std::string>> ConnectAndHandshake(tcp::resolver& resolver,
                                                         std::optional<tcp::socket>& socket,
                                                         const HostPort& node,
                                                         const std::string& handshake,
                                                         std::string_view refused_hint) {
  const std::string where = node.ToString();
  const std::string service = std::to_string(node.port);
  auto [rec, endpoints] = co_await resolver.async_resolve(node.host, service, kNoThrow);
  if (rec)
    co_return Status::Unavailable(fmt::format("cannot connect to {}: cannot resolve '{}': {}",
                                              where, node.host, rec.message()));
  socket.emplace(resolver.get_executor());
  auto [cec, endpoint] = co_await asio::async_connect(*socket, endpoints, kNoThrow);
  if (cec) {
    const std::string_view hint = cec == asio::error::connection_refused ? refused_hint : "";
    co_return Status::Unavailable(
        fmt::format("cannot connect to {}: {}{}", where, cec.message(), hint));
  }
  boost::system::error_code ignored;
  socket->set_option(tcp::no_delay(true), ignored);
  Status sent = co_await AsyncWriteAll(*socket, handshake);
  if (!sent.ok()) co_return sent.WithContext(fmt::format("handshake with {}", where));
  Result<Frame> reply = co_await AsyncReadFrame(*socket, wire::kMaxHandshakeReplyLength);
  if (!reply.ok()) {
    if (reply.status().code() == ErrorCode::kProtocol)
      co_return Status::Protocol(
          fmt::format("{} did not answer like a kv node: {}", where, reply.status().message()));
    co_return reply.status().WithContext(fmt::format("handshake with {}", where));
  }
  if (reply->type == wire::MessageType::kError) {
    Result<ErrorResponse> e = DecodeMessage<ErrorResponse>(reply->body);
    if (!e.ok()) co_return e.status();
    co_return ErrorResponseToStatus(*e).WithContext(
        fmt::format("{} refused the connection", where));
  }
  if (reply->type != wire::MessageType::kHandshakeOk)
    co_return Status::Protocol(fmt::format("{} answered the handshake with a {} message", where,
                                           wire::MessageTypeName(reply->type)));
  Result<HandshakeOk> ok = DecodeMessage<HandshakeOk>(reply->body);
  if (!ok.ok()) co_return ok.status();
  co_return std::move(ok->server);
}

}  // namespace kv
