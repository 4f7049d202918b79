// Status and Result<T>: errors are values in libkv. A Status is Ok or carries a code and a message
// that says what went wrong and, where it can, what to do. Result<T> holds a T or a non-Ok Status.
// Codes exist only where some caller reacts to them specifically (see docs/architecture.md).
// Both are plain values: copyable, movable, safe to pass between threads.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kv {

enum class ErrorCode {
  kOk = 0,
  kNotFound,         // the key or file is not there; tools exit 1
  kInvalidArgument,  // the caller's input is wrong (too large, malformed); tools exit 2
  kCorruption,       // stored bytes fail their checksum or format; message names file and offset
  kIOError,          // the operating system refused a file operation
  kUnavailable,      // the store could not serve it and did nothing: not sent, unreachable,
                     // refused, a read's quorum not met; safe to try elsewhere
  kTimeout,          // no answer in time; a write may still have been applied
  kProtocol,         // the peer spoke something other than the kv protocol
  // The write's outcome is unknown: it may have been applied, and will spread if it was (a
  // quorum not met after the coordinator stored it, a connection lost after the request left).
  // Not to be retried elsewhere as if it had failed; a read shows whether it landed.
  kMaybeApplied,
  // The connection's credentials do not allow the request (its certificate's role); nothing was
  // done. Not to be retried with the same credentials; tools exit 5.
  kPermissionDenied,
};

std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status Corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {ErrorCode::kIOError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status Timeout(std::string m) { return {ErrorCode::kTimeout, std::move(m)}; }
  static Status Protocol(std::string m) { return {ErrorCode::kProtocol, std::move(m)}; }
  static Status MaybeApplied(std::string m) { return {ErrorCode::kMaybeApplied, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {ErrorCode::kPermissionDenied, std::move(m)};
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool Is(ErrorCode c) const { return code_ == c; }

  // "corruption: <message>", or "ok".
  std::string ToString() const;

  // The same code with context put in front of the message: "opening 000012.sst: <message>".
  Status WithContext(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A T, or the Status that says why there is none. Never holds an Ok Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Ok when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kv

// Returns the Status of `expr` from the enclosing function when it is not Ok.
#define KV_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::kv::Status kv_status_ = (expr);        \
    if (!kv_status_.ok()) return kv_status_; \
  } while (0)

#define KV_CONCAT_INNER_(a, b) a##b
#define KV_CONCAT_(a, b) KV_CONCAT_INNER_(a, b)
// `KV_ASSIGN_OR_RETURN(auto x, F());` binds the value of a Result or returns its Status.
#define KV_ASSIGN_OR_RETURN(lhs, expr) \
  KV_ASSIGN_OR_RETURN_IMPL_(KV_CONCAT_(kv_result_, __LINE__), lhs, expr)
#define KV_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
