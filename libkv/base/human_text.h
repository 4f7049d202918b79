// Bytes and times as a person reads them in a tool's text output (kvsstdump, kvget). Pure
// functions, any thread. JSON output has its own rule (json.h: UTF-8 as is, else base64).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

// Printable ASCII as is, '"' and '\' escaped, anything else as \xNN; in double quotes.
std::string QuoteBytes(std::string_view bytes);

// Bytes in powers of 1024 with one decimal: "812 B", "1.2 GiB".
std::string FormatBinaryBytes(uint64_t bytes);

// An approximate count, as `nodetool status` shows estimated keys: "~812", "~3.1K", "~3.1M",
// "~2.0G" (powers of 1000).
std::string FormatApproxCount(uint64_t count);

// A duration in whole units, largest first and at most two: "45s", "3m12s", "5h02m", "2d04h".
std::string FormatAge(uint64_t seconds);

// Microseconds since the Unix epoch as UTC, "2024-05-01T12:00:00.123456Z".
std::string FormatUtcMicros(uint64_t micros);

}  // namespace kv
