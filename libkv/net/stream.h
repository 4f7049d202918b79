// Stream: one connection's byte stream, either a plain TCP socket or TLS over one (OpenSSL through
// Boost.Asio's ssl::stream), so that frame_io, the node's Connection, PipelinedConnection and the
// blocking Client are written once for both. The plain path keeps its socket-level tricks
// (frame_io.h: look without waiting, gathered writes); the TLS path goes through the ssl stream,
// since OpenSSL buffers records the socket no longer shows.
//
// Threads: as a socket: one read and one write at a time, on the stream's executor. Movable until
// its first asynchronous operation; a stream in use stays where it is.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <string>
#include <variant>

#include "libkv/base/status.h"
#include "libkv/net/tls.h"

namespace kv {

class Stream {
 public:
  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  enum class Side { kClient, kServer };

  // Plain TCP.
  explicit Stream(boost::asio::ip::tcp::socket socket);
  // TLS over `socket` with `tls`'s credentials; Handshake next. `tls` must outlive the stream.
  Stream(boost::asio::ip::tcp::socket socket, TlsContext& tls);
  Stream(Stream&&) = default;
  Stream& operator=(Stream&&) = default;

  bool is_tls() const { return std::holds_alternative<TlsStream>(s_); }
  // The plain socket, or null over TLS.
  boost::asio::ip::tcp::socket* plain() { return std::get_if<boost::asio::ip::tcp::socket>(&s_); }
  // The TLS stream, or null for plain TCP.
  TlsStream* tls() { return std::get_if<TlsStream>(&s_); }
  // The TCP socket under it all (options, addresses, shutdown, close).
  boost::asio::ip::tcp::socket& socket();
  boost::asio::any_io_executor get_executor() { return socket().get_executor(); }

  // The TLS handshake (Ok at once for plain TCP). Errors: Unavailable naming what failed, in
  // OpenSSL's words ("certificate has expired") where it says.
  boost::asio::awaitable<Status> Handshake(Side side);

  // Shuts both directions and closes the socket; errors ignored. No TLS close_notify: a peer that
  // never answers one would hold the close up, and kv frames carry their own lengths (a cut
  // stream is never taken for a whole frame).
  void Close();

 private:
  std::variant<boost::asio::ip::tcp::socket, TlsStream> s_;
};

// A socket or TLS error as a Status: "connection closed by the peer", "connection reset by
// peer", or for TLS, OpenSSL's reason ("tlsv13 alert certificate required") with what to do.
Status StreamErrorStatus(const boost::system::error_code& ec, std::string_view doing);

}  // namespace kv
