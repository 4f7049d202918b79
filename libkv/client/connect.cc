#include "libkv/client/connect.h"

#include "libkv/net/connect.h"

namespace kv {

boost::asio::awaitable<Result<std::string>> ConnectAndHandshake(
    boost::asio::ip::tcp::resolver& resolver, std::optional<Stream>& stream, const HostPort& node,
    const std::string& handshake, TlsContext* tls) {
  return ConnectAndHandshake(resolver, stream, node, handshake, kClientRefusedHint, tls);
}

}  // namespace kv
