#include "libkv/net/frame_io.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}

Status SocketErrorStatus(const boost::system::error_code& ec, std::string_view doing) {
  if (ec == asio::error::eof)
    return Status::Unavailable(fmt::format("{}: connection closed by the peer", doing));
  return Status::Unavailable(fmt::format("{}: {}", doing, ec.message()));
}

asio::awaitable<Result<std::string>> AsyncReadExactly(tcp::socket& socket, size_t n) {
  std::string out(n, '\0');
  auto [ec, got] = co_await asio::async_read(socket, asio::buffer(out), kNoThrow);
  if (ec) co_return SocketErrorStatus(ec, "reading");
  co_return out;
}

asio::awaitable<Result<FrameHeader>> AsyncReadFrameHeader(tcp::socket& socket, size_t max_length) {
  char header_bytes[wire::kFrameHeaderBytes];
  auto [ec, got] = co_await asio::async_read(socket, asio::buffer(header_bytes), kNoThrow);
  if (ec) co_return SocketErrorStatus(ec, "reading a frame header");
  co_return DecodeFrameHeader(std::string_view(header_bytes, sizeof(header_bytes)), max_length);
}

asio::awaitable<Result<Frame>> AsyncReadFrameBody(tcp::socket& socket, FrameHeader header) {
  Frame frame;
  frame.type = header.type;
  frame.request_id = header.request_id;
  frame.body.resize(header.body_bytes);  // bounded by max_length, checked with the header
  if (!frame.body.empty()) {
    auto [ec, got] = co_await asio::async_read(socket, asio::buffer(frame.body), kNoThrow);
    if (ec) co_return SocketErrorStatus(ec, "reading a frame body");
  }
  co_return frame;
}

asio::awaitable<Result<Frame>> AsyncReadFrame(tcp::socket& socket, size_t max_length) {
  Result<FrameHeader> header = co_await AsyncReadFrameHeader(socket, max_length);
  if (!header.ok()) co_return header.status();
  const FrameHeader h = *header;
  co_return co_await AsyncReadFrameBody(socket, h);
}

asio::awaitable<Status> AsyncWriteAll(tcp::socket& socket,
                                      const std::vector<std::string>& buffers) {
  std::vector<asio::const_buffer> views;
  views.reserve(buffers.size());
  for (const std::string& b : buffers) views.push_back(asio::buffer(b));
  auto [ec, n] = co_await asio::async_write(socket, views, kNoThrow);
  if (ec) co_return SocketErrorStatus(ec, "writing");
  co_return Status::Ok();
}

asio::awaitable<Status> AsyncWriteAll(tcp::socket& socket, std::string_view bytes) {
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes), kNoThrow);
  if (ec) co_return SocketErrorStatus(ec, "writing");
  co_return Status::Ok();
}

}  // namespace kv
