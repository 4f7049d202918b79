#include "libkv/client/connect.h"

#include "libkv/net/connect.h"

namespace kv {

boost::asio::awaitable<Result<std::string>> ConnectAndHandshake(
    boost::asio::ip::tcp::resolver& resolver, std::optional<boost::asio::ip::tcp::socket>& socket,
    const HostPort& node, const std::string& handshake) {
  return ConnectAndHandshake(resolver, socket, node, handshake, kClientRefusedHint);
}

}  // namespace kv
