#include "libkv/net/handshake.h"

#include <fmt/format.h>

#include <cassert>

#include "libkv/base/coding.h"

namespace kv {

Result<std::string> EncodeHandshake(std::string_view cluster_name, uint32_t version) {
  if (cluster_name.empty() || cluster_name.size() > wire::kMaxClusterNameBytes)
    return Status::InvalidArgument(fmt::format("cluster name is {} bytes; it must be 1 to {} bytes",
                                               cluster_name.size(), wire::kMaxClusterNameBytes));
  std::string out(wire::kMagic);
  PutFixed32(&out, version);
  out.push_back(static_cast<char>(static_cast<uint8_t>(cluster_name.size())));
  out.append(cluster_name);
  return out;
}

Result<HandshakePrefix> DecodeHandshakePrefix(std::string_view prefix) {
  assert(prefix.size() == wire::kHandshakeFixedBytes);
  if (prefix.substr(0, wire::kMagic.size()) != wire::kMagic)
    return Status::Protocol("the peer did not send the kv handshake magic");
  HandshakePrefix out;
  out.version = DecodeFixed32(prefix.data() + wire::kMagic.size());
  out.cluster_name_bytes = static_cast<uint8_t>(prefix[wire::kMagic.size() + 4]);
  if (out.cluster_name_bytes == 0) return Status::Protocol("the handshake's cluster name is empty");
  return out;
}

}  // namespace kv
