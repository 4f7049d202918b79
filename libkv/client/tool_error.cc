#include "libkv/client/tool_error.h"

#include <iostream>

#include "libkv/base/json.h"
#include "libkv/client/exit_code.h"

namespace kv {

std::string ErrorJson(const Status& s) {
  std::string out = "{\"ok\":false,\"error\":";
  AppendJsonString(&out, ErrorCodeName(s.code()));
  out += ",\"message\":";
  AppendJsonString(&out, IsValidUtf8(s.message()) ? s.message() : "(not UTF-8)");
  out += "}\n";
  return out;
}

int ReportToolError(std::string_view tool, const Status& s, bool json) {
  std::cerr << tool << ": " << s.message() << "\n";
  if (json) std::cout << ErrorJson(s);
  return ToolExitCode(s);
}

}  // namespace kv
