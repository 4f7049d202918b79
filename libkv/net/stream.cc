#include "libkv/net/stream.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;

Stream::Stream(tcp::socket socket) : s_(std::move(socket)) {}

Stream::Stream(tcp::socket socket, TlsContext& tls)
    : s_(std::in_place_type<TlsStream>, std::move(socket), tls.native()) {}

tcp::socket& Stream::socket() {
  if (tcp::socket* p = plain()) return *p;
  return tls()->next_layer();
}

void Stream::Close() {
  boost::system::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

asio::awaitable<Status> Stream::Handshake(Side side) {
  TlsStream* s = tls();
  if (s == nullptr) co_return Status::Ok();
  const auto type =
      side == Side::kClient ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
  auto [ec] = co_await s->async_handshake(type, asio::as_tuple(asio::use_awaitable));
  if (!ec) co_return Status::Ok();
  const std::string verify = PeerVerifyError(s->native_handle());
  if (!verify.empty())
    co_return Status::Unavailable(
        fmt::format("TLS handshake: the peer's certificate was refused: {}", verify));
  co_return StreamErrorStatus(ec, "TLS handshake");
}

Status StreamErrorStatus(const boost::system::error_code& ec, std::string_view doing) {
  // kv peers close without a TLS close_notify (Stream::Close), so a truncated TLS stream is an
  // ordinary close.
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
    return Status::Unavailable(fmt::format("{}: connection closed by the peer", doing));
  if (ec.category() == asio::error::get_ssl_category()) {
    const std::string reason = ec.message();
    std::string_view hint;
    if (reason.find("certificate required") != std::string::npos)
      hint = " (the node requires a certificate: give --tls-cert, --tls-key and --tls-ca)";
    else if (reason.find("unknown ca") != std::string::npos ||
             reason.find("bad certificate") != std::string::npos ||
             reason.find("certificate expired") != std::string::npos ||
             reason.find("certificate unknown") != std::string::npos ||
             reason.find("unsupported certificate") != std::string::npos)
      hint =
          " (the peer refused our certificate: it must be signed by the cluster's CA and valid "
          "now)";
    else if (reason.find("wrong version number") != std::string::npos ||
             reason.find("packet length too long") != std::string::npos ||
             reason.find("record layer failure") != std::string::npos)
      hint = " (the peer does not speak TLS)";
    return Status::Unavailable(fmt::format("{}: TLS error: {}{}", doing, reason, hint));
  }
  return Status::Unavailable(fmt::format("{}: {}", doing, ec.message()));
}

}  // namespace kv
