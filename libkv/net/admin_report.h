// The operators' answers as scripts read them: a RingResponse and a StatsResponse as one JSON
// object each, the form `kvring --json` and `kvring stats --json` print and kvnode's HTTP API
// serves (GET /v1/ring, /v1/stats), and the list of a StatsResponse's figures that feeds both
// that JSON and kvring's table (tools/common/stats_format.h), so they cannot drift. Pure
// functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/net/admin_messages.h"

namespace kv {

// {"self":…,"replicas":N,"read_quorum":R,"write_quorum":W,"nodes":[{"id","address","status",
// "state","load","vnodes","ownership","primary_ownership","seconds_since_heard","hints_pending",
// "generation","clock_id","zone"}…]} and a newline. load is {"disk_bytes","keys"}, or null when
// the node states none; zone is null for none; ownership and primary_ownership are fractions
// from 0 to 1; seconds_since_heard is null for itself or never.
std::string FormatRingJson(const RingResponse& ring);

// One figure of a StatsResponse: its JSON key, its label in kvring's table, and its value (`n`
// for integers, `x` for seconds and ratios).
struct StatsFigure {
  enum class Unit { kCount, kBytes, kMicros, kSeconds, kRatio };
  std::string_view key;
  std::string_view label;
  Unit unit = Unit::kCount;
  uint64_t n = 0;
  double x = 0;
};

// Every figure, in the order of the table and the JSON object, with the derived
// "block_cache_hit_ratio" (hits / (hits + misses), 0 before any lookup).
std::vector<StatsFigure> StatsFigures(const StatsResponse& stats);

// {"id":…,"compression":…,"uptime_seconds":…,"memory_budget":…,…} and a newline: every figure
// under its own key (bytes, counts and microseconds as integers; seconds and ratios to 3
// decimals).
std::string FormatStatsJson(const StatsResponse& stats);

}  // namespace kv
