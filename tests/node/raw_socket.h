// RawSocket: a blocking connection to a node for the node tests that speak (or mis-speak) the
// wire protocol by hand (node_test.cc, connection_limits_test.cc). Failures to connect or write
// fail the test (doctest REQUIRE); reads return a Status. One thread.
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"
#include "libkv/net/handshake.h"
#include "libkv/net/host_port.h"

namespace kv::testing {

struct RawSocket {
  explicit RawSocket(const HostPort& at) : socket(io) {
    boost::system::error_code ec;
    socket.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(at.host), at.port),
                   ec);
    REQUIRE_FALSE(ec);
  }
  void Write(std::string_view bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket, boost::asio::buffer(bytes), ec);
    REQUIRE_FALSE(ec);
  }
  // The next frame, or a non-Ok status at end of stream.
  Result<Frame> ReadFrame() {
    char header[wire::kFrameHeaderBytes];
    boost::system::error_code ec;
    boost::asio::read(socket, boost::asio::buffer(header), ec);
    if (ec) return Status::Unavailable(ec.message());
    auto h = DecodeFrameHeader(std::string_view(header, sizeof(header)));
    if (!h.ok()) return h.status();
    Frame f;
    f.type = h->type;
    f.request_id = h->request_id;
    f.body.resize(h->body_bytes);
    boost::asio::read(socket, boost::asio::buffer(f.body), ec);
    if (ec) return Status::Unavailable(ec.message());
    return f;
  }
  // True when the peer closes without sending anything more.
  bool ClosedByPeer() {
    char c;
    boost::system::error_code ec;
    boost::asio::read(socket, boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }
  void Handshake(std::string_view cluster = "kv") {
    Write(*EncodeHandshake(cluster));
    auto f = ReadFrame();
    REQUIRE(f.ok());
    REQUIRE(f->type == wire::MessageType::kHandshakeOk);
  }

  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket;
};

}  // namespace kv::testing
