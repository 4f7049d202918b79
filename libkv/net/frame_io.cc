#include "libkv/net/frame_io.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
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

asio::awaitable<Result<Frame>> AsyncReadFrame(tcp::socket& socket, size_t max_length) {
  char header_bytes[wire::kFrameHeaderBytes];
  auto [ec, got] = co_await asio::async_read(socket, asio::buffer(header_bytes), kNoThrow);
  if (ec) co_return SocketErrorStatus(ec, "reading a frame header");
  Result<FrameHeader> header =
      DecodeFrameHeader(std::string_view(header_bytes, sizeof(header_bytes)), max_length);
  if (!header.ok()) co_return header.status();
  Frame frame;
  frame.type = header->type;
  frame.request_id = header->request_id;
  frame.body.resize(header->body_bytes);  // bounded by max_length, checked with the header
  if (!frame.body.empty()) {
    auto [body_ec, body_got] =
        co_await asio::async_read(socket, asio::buffer(frame.body), kNoThrow);
    if (body_ec) co_return SocketErrorStatus(body_ec, "reading a frame body");
  }
  co_return frame;
}

asio::awaitable<Status> AsyncReadMore(tcp::socket& socket, FrameReader& reader) {
  boost::system::error_code ec;
  if (reader.buffered() == 0) {
    // Look first (what an asynchronous read does too), so that a connection that has gone quiet
    // can wait without its buffer: 1,024 idle connections would otherwise hold 64 MiB.
    if (!socket.non_blocking()) socket.non_blocking(true, ec);
    const std::span<char> space = reader.Space();
    const size_t n = socket.read_some(asio::buffer(space.data(), space.size()), ec);
    if (!ec) {
      reader.Commit(n);
      co_await asio::post(socket.get_executor(), asio::use_awaitable);  // as a completion would
      co_return Status::Ok();
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again)
      co_return SocketErrorStatus(ec, "reading");
    reader.ReleaseIfEmpty();
    auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, kNoThrow);
    if (wait_ec) co_return SocketErrorStatus(wait_ec, "reading");
  }
  const std::span<char> space = reader.Space();
  auto [read_ec, n] =
      co_await socket.async_read_some(asio::buffer(space.data(), space.size()), kNoThrow);
  if (read_ec) co_return SocketErrorStatus(read_ec, "reading");
  reader.Commit(n);
  co_return Status::Ok();
}

asio::awaitable<Status> AsyncWriteAll(tcp::socket& socket,
                                      const std::vector<std::string>& buffers) {
  // Asio's composed write hands at most 16 buffers to each system call, so 100 small answers
  // would cost 7 calls: small buffers are copied together first (one call for the lot), larger
  // ones go by reference, where a copy would cost more than the calls it saves.
  constexpr size_t kPackBytes = 2048;
  size_t pack_bytes = 0;
  for (const std::string& b : buffers)
    if (b.size() <= kPackBytes) pack_bytes += b.size();
  std::string packed;
  packed.reserve(pack_bytes);  // never reallocated below, so views into it stay valid
  std::vector<asio::const_buffer> views;
  bool last_is_packed = false;
  for (const std::string& b : buffers) {
    if (b.empty()) continue;
    if (b.size() > kPackBytes) {
      views.push_back(asio::buffer(b));
      last_is_packed = false;
      continue;
    }
    if (last_is_packed) {
      views.back() = asio::const_buffer(views.back().data(), views.back().size() + b.size());
    } else {
      views.push_back(asio::const_buffer(packed.data() + packed.size(), b.size()));
    }
    packed.append(b);
    last_is_packed = true;
  }
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
