// The coding of the wire protocol's message bodies (docs/formats.md, "Wire protocol", "Messages"):
// Cereal's portable binary archive, little-endian. Each message type is a plain struct with its
// frame type, declared with its protocol's others: HandshakeOk and ErrorResponse here (every
// connection has them), the rest in client_messages.h, replica_messages.h, cluster_messages.h and
// admin_messages.h. EncodeMessageFrame gives a whole frame, DecodeMessage reads a frame's body.
// Decoding never trusts the bytes: a length is bounded before anything is allocated, and any
// malformed body (short, trailing bytes, unknown class version) is a Protocol error, never a
// crash. DecodeMessage (message_coding.h) is the one place in libkv where exceptions (Cereal's)
// are caught.
//
// Every message carries a Cereal class version: 1 for the messages protocol 1 had unchanged, 2
// for those protocol 2 changed (see docs/formats.md, "Evolving the protocol").
// Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/wire_format.h"

namespace kv {

// Server -> client after an accepted handshake.
struct HandshakeOk {
  static constexpr wire::MessageType kType = wire::MessageType::kHandshakeOk;
  uint32_t protocol_version = wire::kProtocolVersion;
  std::string server;  // "kvnode 0.1.0", for logs and error messages
};

// Answers a request (its request id) or, with request id 0, the connection (a refused
// handshake, a frame over the limit) just before the server closes it.
struct ErrorResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kError;
  ErrorCode code = ErrorCode::kProtocol;  // never kOk
  std::string message;
};

// The body alone. Defined for the message structs of this header and of the protocols' headers
// (each instantiates them in its .cc).
template <class M>
std::string EncodeMessage(const M& message);
// A whole frame: header, then the body, built in one buffer (a 16 MiB value is copied once).
template <class M>
std::string EncodeMessageFrame(const M& message, uint64_t request_id);
// Protocol error naming the message type on any malformed body.
template <class M>
Result<M> DecodeMessage(std::string_view body);

// An ErrorResponse as a Status, and back. Unknown wire codes become kProtocol.
Status ErrorResponseToStatus(const ErrorResponse& error);
ErrorResponse StatusToErrorResponse(const Status& status);
wire::WireErrorCode ToWireErrorCode(ErrorCode code);
ErrorCode FromWireErrorCode(uint8_t code);

}  // namespace kv
