// Opening a connection to a node: resolve, connect, the TLS handshake when given credentials,
// send the kv handshake, read the answer (docs/formats.md, "Wire protocol", "Handshake"). Used by
// PipelinedConnection (node to node and AsyncClient) and by the blocking Client. No timeout of its
// own: callers cancel the resolver and close the socket when their deadline passes. Threads: one
// call at a time per resolver and socket, on the resolver's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/host_port.h"
#include "libkv/net/stream.h"
#include "libkv/net/tls.h"

namespace kv {

// On success `stream` holds the connected stream (on the resolver's executor; TLS when `tls` is
// given, else plain) and the result is the server's name ("kvnode 0.1.0"). Over TLS the node must
// present a certificate of role peer (only nodes serve). Errors: Unavailable "cannot connect to
// 127.0.0.1:7000: Connection refused<refused_hint>" (the hint tells a human what to do; empty for
// node-to-node calls), the node's refusal (wrong cluster, protocol version, TLS required, a
// certificate it refused), a TLS failure naming the cause, or Protocol when the peer is not a kv
// node. `stream` is set as soon as there is a socket, so that a deadline can close it.
boost::asio::awaitable<Result<std::string>> ConnectAndHandshake(
    boost::asio::ip::tcp::resolver& resolver, std::optional<Stream>& stream, const HostPort& node,
    const std::string& handshake, std::string_view refused_hint, TlsContext* tls);

}  // namespace kv
