// How kvget shows a GetResult (man/kvget.1, "OUTPUT"): the siblings as text for people, and the
// whole result as one JSON object for scripts. Here rather than in the tool so that tests pin the
// exact form. Pure functions, any thread.
//
// Text, when a key has siblings (kvget prints a single value as its bytes instead):
//
//   2 siblings of greeting (resolve with: kvput --context TOKEN greeting VALUE)
//   [1] clock {1f2e3d4c5b6a7988:1} dot 1f2e3d4c5b6a7988:2 at 2024-05-01T12:00:00.123456Z
//       value (5 bytes): "hello"
//   [2] clock {} dot 8877665544332211:1 at 2024-05-01T12:00:01.000000Z
//       <deleted>
//   context: AQIfLj1MW2p5iAIB...
//
// `clock` is the history the writer had seen (the context it wrote with) and `dot` the write's
// own event (clock id:counter); the version supersedes exactly what its clock and dot cover.
// Values print as JSON-style quoted strings when they are UTF-8, else as base64.
//
// JSON (one line):
//   {"key":"greeting","found":true,"siblings":[{"value":"hello","tombstone":false,
//    "clock":{"1f2e3d4c5b6a7988":1},"dot":"1f2e3d4c5b6a7988:2","timestamp_micros":...},
//    {"value":null,"tombstone":true,...}],"context":"AQIf..."}
// A key or value that is not UTF-8 comes as base64 with "key_base64"/"value_base64":true.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/client/get_result.h"

namespace kv {

// The text block above, ending with a newline. For any result (a single value, nothing), the
// same form: one block per version.
std::string FormatSiblingsText(std::string_view key, const GetResult& result);

// The JSON object above and a newline.
std::string FormatGetResultJson(std::string_view key, const GetResult& result);

// Microseconds since the Unix epoch as UTC, "2024-05-01T12:00:00.123456Z".
std::string FormatTimestampMicros(uint64_t micros);

// Bytes for a line of text: as they are when they are printable ASCII without spaces or quotes
// (a key a shell takes as one word), else a JSON-style quoted string when UTF-8, else
// "base64:..." .
std::string DisplayBytes(std::string_view bytes);

}  // namespace kv
