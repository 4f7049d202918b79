#include "tools/common/stats_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "libkv/base/json.h"

namespace kv {

namespace {

enum class Unit { kCount, kBytes, kMicros, kSeconds, kRatio };

// One figure: its JSON key, its label in the table, and its value (`n` for integers, `x` for
// seconds and ratios).
struct Figure {
  std::string_view key;
  std::string_view label;
  Unit unit = Unit::kCount;
  uint64_t n = 0;
  double x = 0;
};

double HitRatio(const StatsResponse& s) {
  const uint64_t lookups = s.block_cache_hits + s.block_cache_misses;
  return lookups == 0 ? 0 : static_cast<double>(s.block_cache_hits) / static_cast<double>(lookups);
}

// In the order of the table and the JSON object.
std::vector<Figure> Figures(const StatsResponse& s) {
  return {
      {"uptime_seconds", "uptime", Unit::kSeconds, 0, s.uptime_seconds},
      {"cpu_user_micros", "CPU user time", Unit::kMicros, s.cpu_user_micros},
      {"cpu_system_micros", "CPU system time", Unit::kMicros, s.cpu_system_micros},
      {"memory_budget", "memory budget", Unit::kBytes, s.memory_budget},
      {"memtable_share", "memtable share", Unit::kBytes, s.memtable_share},
      {"connection_share", "connection share", Unit::kBytes, s.connection_share},
      {"merkle_cache_share", "Merkle cache share", Unit::kBytes, s.merkle_cache_share},
      {"merkle_cache_bytes", "Merkle cache", Unit::kBytes, s.merkle_cache_bytes},
      {"memtable_memory", "memtable memory", Unit::kBytes, s.memtable_memory},
      {"memtable_memory_peak", "memtable memory peak", Unit::kBytes, s.memtable_memory_peak},
      {"immutable_memtables", "immutable memtables", Unit::kCount, s.immutable_memtables},
      {"tables", "tables", Unit::kCount, s.tables},
      {"table_bytes", "table bytes", Unit::kBytes, s.table_bytes},
      {"table_index_memory", "table index memory", Unit::kBytes, s.table_index_memory},
      {"flushes", "flushes", Unit::kCount, s.flushes},
      {"compactions", "compactions", Unit::kCount, s.compactions},
      {"log_syncs", "log syncs", Unit::kCount, s.log_syncs},
      {"log_records", "log records", Unit::kCount, s.log_records},
      {"bloom_skips", "bloom skips", Unit::kCount, s.bloom_skips},
      {"bloom_false_positives", "bloom false positives", Unit::kCount, s.bloom_false_positives},
      {"block_cache_capacity", "block cache capacity", Unit::kBytes, s.block_cache_capacity},
      {"block_cache_bytes", "block cache data", Unit::kBytes, s.block_cache_bytes},
      {"block_cache_pinned", "block cache pinned", Unit::kBytes, s.block_cache_pinned},
      {"block_cache_hits", "block cache hits", Unit::kCount, s.block_cache_hits},
      {"block_cache_misses", "block cache misses", Unit::kCount, s.block_cache_misses},
      {"block_cache_hit_ratio", "block cache hit ratio", Unit::kRatio, 0, HitRatio(s)},
      {"write_delays", "write delays", Unit::kCount, s.write_delays},
      {"write_delay_micros", "write delay time", Unit::kMicros, s.write_delay_micros},
      {"write_stalls", "write stalls", Unit::kCount, s.write_stalls},
      {"write_stall_micros", "write stall time", Unit::kMicros, s.write_stall_micros},
      {"tombstones_purged", "tombstones purged", Unit::kCount, s.tombstones_purged},
      {"hints_held", "hints held", Unit::kCount, s.hints_held},
      {"hint_bytes", "hint bytes", Unit::kBytes, s.hint_bytes},
      {"connection_waits", "connection waits", Unit::kCount, s.connection_waits},
  };
}

std::string TextValue(const Figure& f) {
  switch (f.unit) {
    case Unit::kCount:
      return fmt::format("{}", f.n);
    case Unit::kBytes:
      return fmt::format("{:.1f} MiB", static_cast<double>(f.n) / (1 << 20));
    case Unit::kMicros:
      return fmt::format("{:.1f} ms", static_cast<double>(f.n) / 1000);
    case Unit::kSeconds:
      return fmt::format("{:.1f} s", f.x);
    case Unit::kRatio:
      return fmt::format("{:.3f}", f.x);
  }
  return {};
}

}  // namespace

std::string FormatStatsText(const StatsResponse& stats, std::string_view asked) {
  const std::vector<Figure> figures = Figures(stats);
  std::vector<std::string> values;
  size_t label_width = 0, value_width = 0;
  for (const Figure& f : figures) {
    values.push_back(TextValue(f));
    label_width = std::max(label_width, f.label.size());
    value_width = std::max(value_width, values.back().size());
  }
  std::string out =
      fmt::format("node {} ({}), compression {}\n", stats.id, asked, stats.compression);
  for (size_t i = 0; i < figures.size(); ++i)
    out += fmt::format("{:<{}}  {:>{}}\n", figures[i].label, label_width, values[i], value_width);
  return out;
}

std::string FormatStatsJson(const StatsResponse& stats) {
  // Ids and codec names come from the node: UTF-8 in practice, but the output must stay valid
  // JSON whatever it sent.
  boost::json::object out;
  out["id"] = json::TextOr(stats.id);
  out["compression"] = json::TextOr(stats.compression);
  for (const Figure& f : Figures(stats)) {
    if (f.unit == Unit::kSeconds || f.unit == Unit::kRatio) {
      out[f.key] = json::Round(f.x, 3);
    } else {
      out[f.key] = f.n;
    }
  }
  return json::Serialize(out) + "\n";
}

}  // namespace kv
