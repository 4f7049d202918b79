// FrameConnection: one blocking connection to a node for the security test programs
// (raw_frame.cc, attack_frames.cc), plain TCP or TLS with the given credentials: connect, write
// any bytes, read whole frames. Errors throw (Asio's blocking calls do): the programs catch them
// at their edge. Not thread-safe.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "libkv/net/frame.h"
#include "libkv/net/host_port.h"
#include "libkv/net/tls.h"

namespace kv::testing {

class FrameConnection {
 public:
  // TLS when `tls` is given (it must outlive the connection).
  FrameConnection(boost::asio::io_context& io, kv::TlsContext* tls) : socket_(io) {
    if (tls != nullptr) tls_.emplace(std::move(socket_), tls->native());
  }
  boost::asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
  void Connect(const kv::HostPort& node) {
    boost::asio::ip::tcp::resolver resolver(socket().get_executor());
    boost::asio::connect(socket(), resolver.resolve(node.host, std::to_string(node.port)));
    if (tls_) tls_->handshake(boost::asio::ssl::stream_base::client);
  }
  void Write(std::string_view bytes) {
    if (tls_)
      boost::asio::write(*tls_, boost::asio::buffer(bytes));
    else
      boost::asio::write(socket_, boost::asio::buffer(bytes));
  }
  void Read(char* data, size_t n) {
    if (tls_)
      boost::asio::read(*tls_, boost::asio::buffer(data, n));
    else
      boost::asio::read(socket_, boost::asio::buffer(data, n));
  }
  kv::Frame ReadFrame() {
    char header[kv::wire::kFrameHeaderBytes];
    Read(header, sizeof(header));
    kv::Result<kv::FrameHeader> h =
        kv::DecodeFrameHeader(std::string_view(header, sizeof(header)), kv::wire::kMaxFrameLength);
    if (!h.ok()) throw std::runtime_error(h.status().ToString());
    kv::Frame f{.type = h->type, .request_id = h->request_id, .body = {}};
    f.body.resize(h->body_bytes);
    if (!f.body.empty()) Read(f.body.data(), f.body.size());
    return f;
  }

 private:
  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls_;
};

}  // namespace kv::testing
