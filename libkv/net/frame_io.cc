#include "libkv/net/frame_io.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

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

namespace {

using TlsStream = Stream::TlsStream;

template <class S>
asio::awaitable<Result<std::string>> ReadExactly(S& socket, size_t n) {
  std::string out(n, '\0');
  auto [ec, got] = co_await asio::async_read(socket, asio::buffer(out), kNoThrow);
  if (ec) co_return StreamErrorStatus(ec, "reading");
  co_return out;
}

template <class S>
asio::awaitable<Result<Frame>> ReadFrame(S& socket, size_t max_length) {
  char header_bytes[wire::kFrameHeaderBytes];
  auto [ec, got] = co_await asio::async_read(socket, asio::buffer(header_bytes), kNoThrow);
  if (ec) co_return StreamErrorStatus(ec, "reading a frame header");
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
    if (body_ec) co_return StreamErrorStatus(body_ec, "reading a frame body");
  }
  co_return frame;
}

// Small buffers are copied together (one system call, or one TLS record, for the lot); larger
// ones go by reference, where a copy would cost more than the calls it saves. `packed` holds the
// copies and must outlive the views.
std::vector<asio::const_buffer> PackBuffers(const std::vector<std::string>& buffers,
                                            std::string& packed, size_t pack_bytes_max) {
  size_t pack_bytes = 0;
  for (const std::string& b : buffers)
    if (b.size() <= pack_bytes_max) pack_bytes += b.size();
  packed.reserve(pack_bytes);  // never reallocated below, so views into it stay valid
  std::vector<asio::const_buffer> views;
  bool last_is_packed = false;
  for (const std::string& b : buffers) {
    if (b.empty()) continue;
    if (b.size() > pack_bytes_max) {
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
  return views;
}

asio::awaitable<Status> TlsReadMore(TlsStream& stream, FrameReader& reader) {
  if (reader.buffered() == 0) {
    // Wait without the reader's buffer (see frame_io.h): the first bytes land here.
    reader.ReleaseIfEmpty();
    char first[512];
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(first), kNoThrow);
    if (ec) co_return StreamErrorStatus(ec, "reading");
    size_t copied = 0;
    while (copied < n) {
      const std::span<char> space = reader.Space();
      const size_t take = std::min(space.size(), n - copied);
      std::memcpy(space.data(), first + copied, take);
      reader.Commit(take);
      copied += take;
    }
    co_return Status::Ok();
  }
  const std::span<char> space = reader.Space();
  auto [ec, n] =
      co_await stream.async_read_some(asio::buffer(space.data(), space.size()), kNoThrow);
  if (ec) co_return StreamErrorStatus(ec, "reading");
  reader.Commit(n);
  co_return Status::Ok();
}

asio::awaitable<Status> TlsWriteAll(TlsStream& stream, const std::vector<std::string>& buffers) {
  // A TLS write sends its first buffer only, a record of up to 16 KiB at a time: pack everything
  // up to 64 KiB a piece, so that a batch of answers is a few records and socket writes.
  std::string packed;
  const std::vector<asio::const_buffer> views = PackBuffers(buffers, packed, 64 << 10);
  for (const asio::const_buffer& view : views) {
    auto [ec, n] = co_await asio::async_write(stream, view, kNoThrow);
    if (ec) co_return StreamErrorStatus(ec, "writing");
  }
  co_return Status::Ok();
}

asio::awaitable<Status> TlsWriteBytes(TlsStream& stream, std::string_view bytes) {
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), kNoThrow);
  if (ec) co_return StreamErrorStatus(ec, "writing");
  co_return Status::Ok();
}

}  // namespace

asio::awaitable<Result<std::string>> AsyncReadExactly(tcp::socket& socket, size_t n) {
  return ReadExactly(socket, n);
}

asio::awaitable<Result<Frame>> AsyncReadFrame(tcp::socket& socket, size_t max_length) {
  return ReadFrame(socket, max_length);
}

asio::awaitable<Result<std::string>> AsyncReadExactly(Stream& stream, size_t n) {
  if (tcp::socket* p = stream.plain()) return ReadExactly(*p, n);
  return ReadExactly(*stream.tls(), n);
}

asio::awaitable<Result<Frame>> AsyncReadFrame(Stream& stream, size_t max_length) {
  if (tcp::socket* p = stream.plain()) return ReadFrame(*p, max_length);
  return ReadFrame(*stream.tls(), max_length);
}

asio::awaitable<Status> AsyncReadMore(Stream& stream, FrameReader& reader) {
  if (tcp::socket* p = stream.plain()) return AsyncReadMore(*p, reader);
  return TlsReadMore(*stream.tls(), reader);
}

asio::awaitable<Status> AsyncWriteAll(Stream& stream, const std::vector<std::string>& buffers) {
  if (tcp::socket* p = stream.plain()) return AsyncWriteAll(*p, buffers);
  return TlsWriteAll(*stream.tls(), buffers);
}

asio::awaitable<Status> AsyncWriteAll(Stream& stream, std::string_view bytes) {
  if (tcp::socket* p = stream.plain()) return AsyncWriteAll(*p, bytes);
  return TlsWriteBytes(*stream.tls(), bytes);
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
  // would cost 7 calls: small buffers are copied together first (one call for the lot).
  std::string packed;
  const std::vector<asio::const_buffer> views = PackBuffers(buffers, packed, 2048);
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
