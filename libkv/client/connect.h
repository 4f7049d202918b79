// Opening a client connection to a node: resolve, connect, send the handshake, read the answer
// (docs/formats.md, "Wire protocol", "Handshake"). Shared by Client and AsyncClient; no timeout
// of its own (callers cancel the resolver and close the socket when their deadline passes).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

#include "libkv/base/status.h"
#include "libkv/net/host_port.h"

namespace kv {

// On success `socket` holds the connected socket (on the resolver's executor) and the result is
// the server's name ("kvnode 0.1.0"). Errors say what to do: Unavailable "cannot connect to
// 127.0.0.1:7000: Connection refused — is kvnode running? ...", the node's refusal (wrong
// cluster, protocol version), or Protocol when the peer is not a kv node.
boost::asio::awaitable<Result<std::string>> ConnectAndHandshake(
    boost::asio::ip::tcp::resolver& resolver, std::optional<boost::asio::ip::tcp::socket>& socket,
    const HostPort& node, const std::string& handshake);

}  // namespace kv
