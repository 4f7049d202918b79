// How `kvring stats` shows a StatsResponse (man/kvring.1, "STATS"): an aligned table with units
// for people; the JSON for scripts is FormatStatsJson (libkv/net/admin_report.h), which kvnode
// serves too. One list of figures (StatsFigures) feeds both, so they cannot drift. Pure functions,
// any thread.
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
#include "libkv/net/admin_report.h"

namespace kv {

// `asked`: the address the tool asked (HOST:PORT), for the header. Bytes in MiB, times in ms or
// s, ratios to 3 decimals.
std::string FormatStatsText(const StatsResponse& stats, std::string_view asked);
}  // namespace kv
