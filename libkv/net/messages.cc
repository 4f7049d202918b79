#include "libkv/net/messages.h"

#include "libkv/net/message_coding.h"

namespace kv {

using message_coding::Bytes;
using message_coding::CheckVersion;

template <class Archive>
void serialize(Archive& ar, HandshakeOk& m, std::uint32_t const version) {
  CheckVersion(version);
  ar(m.protocol_version);
  Bytes(ar, m.server);
}

template <class Archive>
void save(Archive& ar, const ErrorResponse& m, std::uint32_t const) {
  ar(static_cast<uint8_t>(ToWireErrorCode(m.code)));
  Bytes(ar, m.message);
}
template <class Archive>
void load(Archive& ar, ErrorResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  uint8_t code = 0;
  ar(code);
  m.code = FromWireErrorCode(code);
  Bytes(ar, m.message);
}

}  // namespace kv

CEREAL_CLASS_VERSION(kv::HandshakeOk, 1)
CEREAL_CLASS_VERSION(kv::ErrorResponse, 1)

namespace kv {

KV_INSTANTIATE_MESSAGE(HandshakeOk)
KV_INSTANTIATE_MESSAGE(ErrorResponse)

wire::WireErrorCode ToWireErrorCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return wire::WireErrorCode::kNotFound;
    case ErrorCode::kInvalidArgument:
      return wire::WireErrorCode::kInvalidArgument;
    case ErrorCode::kCorruption:
      return wire::WireErrorCode::kCorruption;
    case ErrorCode::kIOError:
      return wire::WireErrorCode::kIOError;
    case ErrorCode::kUnavailable:
      return wire::WireErrorCode::kUnavailable;
    case ErrorCode::kTimeout:
      return wire::WireErrorCode::kTimeout;
    case ErrorCode::kMaybeApplied:
      return wire::WireErrorCode::kMaybeApplied;
    case ErrorCode::kPermissionDenied:
      return wire::WireErrorCode::kPermissionDenied;
    case ErrorCode::kOk:  // an error response never carries Ok; treat as a protocol slip
    case ErrorCode::kProtocol:
      return wire::WireErrorCode::kProtocol;
  }
  return wire::WireErrorCode::kProtocol;
}

ErrorCode FromWireErrorCode(uint8_t code) {
  switch (static_cast<wire::WireErrorCode>(code)) {
    case wire::WireErrorCode::kNotFound:
      return ErrorCode::kNotFound;
    case wire::WireErrorCode::kInvalidArgument:
      return ErrorCode::kInvalidArgument;
    case wire::WireErrorCode::kCorruption:
      return ErrorCode::kCorruption;
    case wire::WireErrorCode::kIOError:
      return ErrorCode::kIOError;
    case wire::WireErrorCode::kUnavailable:
      return ErrorCode::kUnavailable;
    case wire::WireErrorCode::kTimeout:
      return ErrorCode::kTimeout;
    case wire::WireErrorCode::kProtocol:
      return ErrorCode::kProtocol;
    case wire::WireErrorCode::kMaybeApplied:
      return ErrorCode::kMaybeApplied;
    case wire::WireErrorCode::kPermissionDenied:
      return ErrorCode::kPermissionDenied;
  }
  return ErrorCode::kProtocol;
}

Status ErrorResponseToStatus(const ErrorResponse& error) {
  if (error.code == ErrorCode::kOk) return Status::Protocol("error response with code ok");
  return Status(error.code, error.message);
}

ErrorResponse StatusToErrorResponse(const Status& status) {
  ErrorResponse out;
  out.code = status.ok() ? ErrorCode::kProtocol : status.code();
  out.message = status.message();
  return out;
}

}  // namespace kv
