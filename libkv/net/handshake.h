// The handshake that opens every connection (docs/formats.md, "Wire protocol", "Handshake"):
// the client sends magic | version fixed32 | name length u8 | cluster name, raw (not a frame);
// the server answers with a HandshakeOk frame or an Error frame, and after an error closes.
// The server reads the fixed 9 bytes first and decides from them whether to go on, so random
// bytes on the port cost at most 9 bytes of reading. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/wire_format.h"

namespace kv {

// InvalidArgument when the cluster name is empty or longer than 255 bytes.
Result<std::string> EncodeHandshake(std::string_view cluster_name,
                                    uint32_t version = wire::kProtocolVersion);

struct HandshakePrefix {
  uint32_t version = 0;
  size_t cluster_name_bytes = 0;  // that many bytes follow
};

// Decodes the first wire::kHandshakeFixedBytes. Protocol error when the magic is wrong (the peer
// is not a kv client: close without answering) or the name length is 0.
// REQUIRES: prefix.size() == wire::kHandshakeFixedBytes.
Result<HandshakePrefix> DecodeHandshakePrefix(std::string_view prefix);

}  // namespace kv
