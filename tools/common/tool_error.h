// How the client tools (kvput, kvget, and later kvring...) report a failure, one way for all: the
// message on stderr as "TOOL: message", with --json also {"ok":false,"error":CODE,"message":…}
// on stdout for scripts, and the shared exit code (exit_code.h). Call from main's thread.
#pragma once

#include <string>
#include <string_view>

#include "libkv/base/status.h"

namespace kv {

// {"ok":false,"error":"<code name>","message":"<message>"} and a newline.
std::string ErrorJson(const Status& s);

// Prints the failure as described above and returns the tool's exit code for it.
int ReportToolError(std::string_view tool, const Status& s, bool json);

}  // namespace kv
