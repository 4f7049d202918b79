// How `kvring stats` shows a StatsResponse (man/kvring.1, "STATS"): an aligned table with units
// for people, one flat JSON object with stable snake_case keys for scripts. One list of figures
// feeds both, so they cannot drift. Pure functions, any thread.
//
//   node a (127.0.0.1:7000), compression lz4
//   uptime                       12.3 s
//   CPU user time              840.2 ms
//   ...
//   memory budget             256.0 MiB
//   ...
//   block cache hit ratio         0.973
#pragma once

#include <string>
#include <string_view>

#include "libkv/net/admin_messages.h"

namespace kv {

// `asked`: the address the tool asked (HOST:PORT), for the header. Bytes in MiB, times in ms or
// s, ratios to 3 decimals.
std::string FormatStatsText(const StatsResponse& stats, std::string_view asked);
// {"id":…,"compression":…,"uptime_seconds":…,"memory_budget":…,…} and a newline: every field of
// StatsResponse under its own name (bytes, counts and microseconds as integers) and the derived
// "block_cache_hit_ratio" (hits / (hits + misses), 0 before any lookup).
std::string FormatStatsJson(const StatsResponse& stats);

}  // namespace kv
