#include "tools/common/tool_error.h"

#include <iostream>

#include "libkv/base/json.h"
#include "tools/common/exit_code.h"

namespace kv {

std::string ErrorJson(const Status& s) {
  boost::json::object out;
  out["ok"] = false;
  out["error"] = ErrorCodeName(s.code());
  out["message"] = json::TextOr(s.message());
  return json::Serialize(out) + "\n";
}

int ReportToolError(std::string_view tool, const Status& s, bool json) {
  std::cerr << tool << ": " << s.message() << "\n";
  if (json) std::cout << ErrorJson(s);
  return ToolExitCode(s);
}

}  // namespace kv
