// Opening a client connection to a node: net's ConnectAndHandshake (libkv/net/connect.h) with
// the hint a person at a terminal needs when nothing listens. Shared by Client and AsyncClient.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/host_port.h"
#include "libkv/net/stream.h"

namespace kv {

// Appended to "cannot connect to HOST:PORT: Connection refused".
inline constexpr std::string_view kClientRefusedHint =
    " — is kvnode running? start it with `kvnode`, or point --node / KV_NODE at it";

// As net's ConnectAndHandshake, with kClientRefusedHint. Errors say what to do: Unavailable
// "cannot connect to 127.0.0.1:7000: Connection refused — is kvnode running? ...", the node's
// refusal (wrong cluster, protocol version), or Protocol when the peer is not a kv node.
// `tls`: the client's credentials (null: plain TCP).
boost::asio::awaitable<Result<std::string>> ConnectAndHandshake(
    boost::asio::ip::tcp::resolver& resolver, std::optional<Stream>& stream, const HostPort& node,
    const std::string& handshake, TlsContext* tls);

}  // namespace kv
