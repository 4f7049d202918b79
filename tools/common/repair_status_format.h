// How `kvrepair --status` shows a RepairStatusResponse (man/kvrepair.1, "STATUS"; Riak's
// aae-status): a table for people, one JSON object for scripts, and which ranges are overdue.
// Pure functions, any thread.
//
//   repair status of a (127.0.0.1:7000): 3 ranges, tombstone grace 1d00h
//   RANGE                                     LAST COMPLETE REPAIR         AGE    TOMBSTONE GC
//   (0x0000000000000000, 0x5555555555555555]  2026-12-07T20:40:00.123456Z  3m12s  purging allowed
//   (0x5555555555555555, 0xaaaaaaaaaaaaaaaa]  never                        -      purging not
//   allowed 1 of 3 ranges not completely repaired within the grace: ...
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "libkv/net/admin_messages.h"

namespace kv {

// Ranges whose last complete repair is older than the node's grace, or never happened: their
// tombstones written since a grace before that repair wait for the next one (kvrepair --status
// exits kExitRepairOverdue when there is any).
size_t OverdueRanges(const RepairStatusResponse& status);

// `asked`: the address the tool asked (HOST:PORT), for the header.
std::string FormatRepairStatusText(const RepairStatusResponse& status, std::string_view asked);
// {"id","now_micros","grace_seconds","overdue_ranges","ranges":[{"start","end",
// "last_complete_repair_micros","last_complete_repair","age_seconds","purge_allowed",
// "purge_written_by_micros","overdue"}…]} and a newline. Tokens as integers; the repair's time
// also as UTC text; last_complete_repair_micros, last_complete_repair and age_seconds are null
// for never, purge_written_by_micros when purging is not allowed.
std::string FormatRepairStatusJson(const RepairStatusResponse& status);

}  // namespace kv
