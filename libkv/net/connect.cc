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
constexpr std::string_view kGiveCredentials =
    "give --tls-cert, --tls-key and --tls-ca (or KV_TLS_CERT, KV_TLS_KEY, KV_TLS_CA)";
}  // namespace

asio::awaitable<Result<std::string>> ConnectAndHandshake(
    tcp::resolver& resolver, std::optional<Stream>& stream, const HostPort& node,
    const std::string& handshake, std::string_view refused_hint, TlsContext* tls) {
  const std::string where = node.ToString();
  const std::string service = std::to_string(node.port);
  auto [rec, endpoints] = co_await resolver.async_resolve(node.host, service, kNoThrow);
  if (rec)
    co_return Status::Unavailable(fmt::format("cannot connect to {}: cannot resolve '{}': {}",
                                              where, node.host, rec.message()));
  if (tls != nullptr) {
    stream.emplace(tcp::socket(resolver.get_executor()), *tls);
  } else {
    stream.emplace(tcp::socket(resolver.get_executor()));
  }
  auto [cec, endpoint] = co_await asio::async_connect(stream->socket(), endpoints, kNoThrow);
  if (cec) {
    const std::string_view hint = cec == asio::error::connection_refused ? refused_hint : "";
    co_return Status::Unavailable(
        fmt::format("cannot connect to {}: {}{}", where, cec.message(), hint));
  }
  boost::system::error_code ignored;
  stream->socket().set_option(tcp::no_delay(true), ignored);
  if (tls != nullptr) {
    Status shaken = co_await stream->Handshake(Stream::Side::kClient);
    if (!shaken.ok()) {
      // A node without TLS reads the ClientHello as a bad kv handshake and closes at once.
      if (shaken.message().find("closed by the peer") != std::string::npos)
        co_return Status::Unavailable(fmt::format(
            "{} closed the connection during the TLS handshake: it does not speak TLS (a node "
            "started without --tls-cert), or refused the connection",
            where));
      co_return shaken.WithContext(where);
    }
    Result<CertificateSubject> server = PeerCertificateSubject(stream->tls()->native_handle());
    if (!server.ok()) co_return server.status().WithContext(where);
    if (server->role != Role::kPeer)
      co_return Status::Unavailable(
          fmt::format("{} presented a certificate for '{}' of role '{}', not a node's (role peer)",
                      where, server->common_name, server->organizational_unit));
  }
  Status sent = co_await AsyncWriteAll(*stream, handshake);
  if (!sent.ok()) co_return sent.WithContext(fmt::format("handshake with {}", where));
  Result<Frame> reply = co_await AsyncReadFrame(*stream, wire::kMaxHandshakeReplyLength);
  if (!reply.ok()) {
    if (reply.status().code() == ErrorCode::kProtocol) {
      // A TLS node answers a plaintext handshake with a TLS alert record (type 21) or an Error
      // frame; either way, say what to do.
      if (tls == nullptr)
        co_return Status::Unavailable(fmt::format("{} speaks TLS: {}", where, kGiveCredentials));
      co_return Status::Protocol(
          fmt::format("{} did not answer like a kv node: {}", where, reply.status().message()));
    }
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
