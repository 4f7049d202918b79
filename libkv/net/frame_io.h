// Reading and writing frames on a TCP socket or a Stream (plain or TLS: stream.h) from a coroutine
// (Boost.Asio, C++20). Shared by the node and the client. The Stream forms take the socket forms'
// path for plain TCP, with no coroutine frame of their own. A header is read and checked before the
// body's buffer is allocated. Errors are values: socket errors (including cancellation,
// operation_aborted) come back as Unavailable naming the cause; a bad header as Protocol. Nothing
// here throws. Threads: one read and one write at a time per socket, on the socket's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"
#include "libkv/net/frame_reader.h"
#include "libkv/net/stream.h"

namespace kv {

// Reads one whole frame, and not a byte more: for a peer that sends one frame at a time (the
// handshake's answer, the blocking client). A header declaring more than max_length is refused
// from the header alone (Protocol); the caller closes the connection.
boost::asio::awaitable<Result<Frame>> AsyncReadFrame(boost::asio::ip::tcp::socket& socket,
                                                     size_t max_length = wire::kMaxFrameLength);

// Reads what the peer has sent, at least one byte, into reader.Space() (REQUIRES its contract:
// reader.Next() would give std::nullopt), for a connection that parses every whole frame of a
// read before reading again. When nothing waits in the reader, it looks at the socket without
// waiting, and if the peer has sent nothing yet it frees the reader's buffer and waits for the
// socket to become readable: an idle connection holds no buffer. Completes through the socket's
// executor, as any asynchronous read, so a peer that always has more to send does not starve the
// others. Sets the socket's non-blocking mode (asynchronous operations are unaffected).
boost::asio::awaitable<Status> AsyncReadMore(boost::asio::ip::tcp::socket& socket,
                                             FrameReader& reader);

// Reads exactly n bytes.
boost::asio::awaitable<Result<std::string>> AsyncReadExactly(boost::asio::ip::tcp::socket& socket,
                                                             size_t n);

// Writes every byte of every buffer, in order, in one gathered write: one system call for a batch
// of small frames (they are copied together), more only when the socket takes less at once.
boost::asio::awaitable<Status> AsyncWriteAll(boost::asio::ip::tcp::socket& socket,
                                             const std::vector<std::string>& buffers);
boost::asio::awaitable<Status> AsyncWriteAll(boost::asio::ip::tcp::socket& socket,
                                             std::string_view bytes);

// The same over a Stream. Over TLS, AsyncReadMore cannot look at the socket (OpenSSL may hold a
// record's bytes already read from it): with nothing buffered it reads the first bytes into a
// small buffer of its own and copies them to the reader, so an idle TLS connection holds no
// reader buffer either; AsyncWriteAll packs the buffers into as few TLS records as it can (a TLS
// write takes one buffer at a time).
boost::asio::awaitable<Result<Frame>> AsyncReadFrame(Stream& stream,
                                                     size_t max_length = wire::kMaxFrameLength);
boost::asio::awaitable<Status> AsyncReadMore(Stream& stream, FrameReader& reader);
boost::asio::awaitable<Result<std::string>> AsyncReadExactly(Stream& stream, size_t n);
boost::asio::awaitable<Status> AsyncWriteAll(Stream& stream,
                                             const std::vector<std::string>& buffers);
boost::asio::awaitable<Status> AsyncWriteAll(Stream& stream, std::string_view bytes);

// "connection closed by the peer", "connection reset by peer", ... for a socket error.
Status SocketErrorStatus(const boost::system::error_code& ec, std::string_view doing);

}  // namespace kv
