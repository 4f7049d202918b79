#include "tools/common/stats_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace kv {

namespace {

using Unit = StatsFigure::Unit;

std::string TextValue(const StatsFigure& f) {
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
  const std::vector<StatsFigure> figures = StatsFigures(stats);
  std::vector<std::string> values;
  size_t label_width = 0, value_width = 0;
  for (const StatsFigure& f : figures) {
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

}  // namespace kv
