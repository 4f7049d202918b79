// Bytes and times as a person reads them in a tool's text output (kvsstdump, kvget). Pure
// functions, any thread. JSON output has its own rule (json.h: UTF-8 as is, else base64).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

// Printable ASCII as is, '"' and '\' escaped, anything else as \xNN; in double quotes.
std::string QuoteBytes(std::string_view bytes);

// Microseconds since the Unix epoch as UTC, "2024-05-01T12:00:00.123456Z".
std::string FormatUtcMicros(uint64_t micros);

}  // namespace kv
