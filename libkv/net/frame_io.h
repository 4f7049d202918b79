// Reading and writing frames on a TCP socket from a coroutine (Boost.Asio, C++20). Shared by the
// node and the client. The header is read and checked before the body's buffer is allocated.
// Errors are values: socket errors (including cancellation, operation_aborted) come back as
// Unavailable naming the cause; a bad header as Protocol. Nothing here throws.
// Threads: one read and one write at a time per socket, on the socket's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"

namespace kv {

// Reads one whole frame. A header declaring more than max_length is refused from the header
// alone (Protocol); the caller closes the connection.
boost::asio::awaitable<Result<Frame>> AsyncReadFrame(boost::asio::ip::tcp::socket& socket,
                                                     size_t max_length = wire::kMaxFrameLength);

// The same in two steps, for a reader that decides whether it has room for the body between
// them (the node's memory budget): the header, checked against max_length, then the body it
// announced.
boost::asio::awaitable<Result<FrameHeader>> AsyncReadFrameHeader(
    boost::asio::ip::tcp::socket& socket, size_t max_length = wire::kMaxFrameLength);
boost::asio::awaitable<Result<Frame>> AsyncReadFrameBody(boost::asio::ip::tcp::socket& socket,
                                                         FrameHeader header);

// Reads exactly n bytes.
boost::asio::awaitable<Result<std::string>> AsyncReadExactly(boost::asio::ip::tcp::socket& socket,
                                                             size_t n);

// Writes every byte of every buffer, in order, in one gathered write.
boost::asio::awaitable<Status> AsyncWriteAll(boost::asio::ip::tcp::socket& socket,
                                             const std::vector<std::string>& buffers);
boost::asio::awaitable<Status> AsyncWriteAll(boost::asio::ip::tcp::socket& socket,
                                             std::string_view bytes);

// "connection closed by the peer", "connection reset by peer", ... for a socket error.
Status SocketErrorStatus(const boost::system::error_code& ec, std::string_view doing);

}  // namespace kv
