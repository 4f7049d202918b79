#include "libkv/base/status.h"

namespace kv {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kIOError:
      return "I/O error";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kProtocol:
      return "protocol error";
    case ErrorCode::kMaybeApplied:
      return "maybe applied";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
  }
  return "unknown error";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(ErrorCodeName(code_));
  if (!message_.empty()) out.append(": ").append(message_);
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m.append(": ").append(message_);
  return {code_, std::move(m)};
}

}  // namespace kv
