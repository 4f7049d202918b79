// The exit codes of the client tools (kvput, kvget, kvring), one rule for all: 0 success, 1 key
// not found, 2 usage error (including an oversized key or value, a malformed context token), 3
// the store could not serve it (unreachable, timeout, refused, a quorum not met, a write that may
// have been applied: MaybeApplied, server error),
// 4 siblings: the key has concurrent versions the client must resolve (kvget; not an error of
// the store, so ToolExitCode never gives it), 5 not allowed: the credentials' role does not
// permit the request (PermissionDenied; nothing was done). kvrepair --status alone gives 6:
// some range has had no complete repair within the node's tombstone grace (its tombstones wait).
// Pure function.
#pragma once

#include "libkv/base/status.h"

namespace kv {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNotFound = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnavailable = 3;
inline constexpr int kExitSiblings = 4;
inline constexpr int kExitPermissionDenied = 5;
inline constexpr int kExitRepairOverdue = 6;

inline int ToolExitCode(const Status& s) {
  if (s.ok()) return kExitOk;
  if (s.Is(ErrorCode::kNotFound)) return kExitNotFound;
  if (s.Is(ErrorCode::kInvalidArgument)) return kExitUsage;
  if (s.Is(ErrorCode::kPermissionDenied)) return kExitPermissionDenied;
  return kExitUnavailable;
}

}  // namespace kv
