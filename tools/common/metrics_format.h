// How `kvring metrics --json` shows a node's metrics (man/kvring.1, "METRICS"): the exposition
// text, checked (ParseExposition), as one JSON object for scripts that would rather not parse
// Prometheus's format:
//
//   {"node":"127.0.0.1:7000","families":[{"name":"kv_requests_total","type":"counter",
//    "help":"...","samples":[{"name":"kv_requests_total","labels":{"op":"put","outcome":"ok"},
//    "value":12}]},...]}
//
// Without --json kvring prints the text itself, exactly as GET /metrics serves it. Pure
// functions, any thread.
#pragma once

#include <string>
#include <string_view>

#include "libkv/base/status.h"

namespace kv {

// InvalidArgument, saying where, when `text` is not valid exposition text. Values as numbers
// (null when not finite), label values as strings (le="+Inf" too); a newline ends it.
Result<std::string> FormatMetricsJson(std::string_view node, std::string_view text);

}  // namespace kv
