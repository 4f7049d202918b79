#include "tools/common/repair_status_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "libkv/base/human_text.h"
#include "libkv/base/json.h"

namespace kv {

namespace {

constexpr uint64_t kMicrosPerSecond = 1'000'000;

// Seconds since the range's last complete repair began, by the node's clock (0 if that clock
// went back); nothing for never.
std::optional<uint64_t> AgeSeconds(const RepairStatusResponse& status, const RangeRepairStatus& r) {
  if (r.last_complete_repair_micros == 0) return std::nullopt;
  return (status.now_micros - std::min(status.now_micros, r.last_complete_repair_micros)) /
         kMicrosPerSecond;
}

bool Overdue(const RepairStatusResponse& status, const RangeRepairStatus& r) {
  const std::optional<uint64_t> age = AgeSeconds(status, r);
  return !age || *age > status.grace_seconds;
}

std::string RangeText(const RangeRepairStatus& r) {
  return fmt::format("({:#018x}, {:#018x}]", r.start, r.end);
}

}  // namespace

size_t OverdueRanges(const RepairStatusResponse& status) {
  return static_cast<size_t>(
      std::count_if(status.ranges.begin(), status.ranges.end(),
                    [&](const RangeRepairStatus& r) { return Overdue(status, r); }));
}

std::string FormatRepairStatusText(const RepairStatusResponse& status, std::string_view asked) {
  std::string out = fmt::format(
      "repair status of {} ({}): {} range{}, tombstone grace {}\n", status.id, asked,
      status.ranges.size(), status.ranges.size() == 1 ? "" : "s", FormatAge(status.grace_seconds));
  constexpr size_t kRangeWidth = 1 + 18 + 2 + 18 + 1;  // (0x…, 0x…]
  constexpr size_t kTimeWidth = 27;                    // 2026-12-07T20:40:00.123456Z
  size_t age_width = 3;
  for (const RangeRepairStatus& r : status.ranges) {
    const std::optional<uint64_t> age = AgeSeconds(status, r);
    age_width = std::max(age_width, age ? FormatAge(*age).size() : 1);
  }
  out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", "RANGE", kRangeWidth, "LAST COMPLETE REPAIR",
                     kTimeWidth, "AGE", age_width, "TOMBSTONE GC");
  for (const RangeRepairStatus& r : status.ranges) {
    const std::optional<uint64_t> age = AgeSeconds(status, r);
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", RangeText(r), kRangeWidth,
                       age ? FormatUtcMicros(r.last_complete_repair_micros) : "never", kTimeWidth,
                       age ? FormatAge(*age) : "-", age_width,
                       r.purge_allowed ? "purging allowed" : "purging not allowed");
  }
  if (const size_t overdue = OverdueRanges(status); overdue > 0) {
    out += fmt::format(
        "{} of {} ranges not completely repaired within the grace ({}): their tombstones are kept "
        "until a repair that reaches every replica (run kvrepair)\n",
        overdue, status.ranges.size(), FormatAge(status.grace_seconds));
  }
  return out;
}

// The node id comes from its flags: UTF-8 in practice, but the output must stay valid JSON
// whatever the node sent (json::TextOr).
std::string FormatRepairStatusJson(const RepairStatusResponse& status) {
  boost::json::object out;
  out["id"] = json::TextOr(status.id);
  out["now_micros"] = status.now_micros;
  out["grace_seconds"] = status.grace_seconds;
  out["overdue_ranges"] = OverdueRanges(status);
  boost::json::array ranges;
  for (const RangeRepairStatus& r : status.ranges) {
    boost::json::object range;
    range["start"] = r.start;
    range["end"] = r.end;
    if (const std::optional<uint64_t> age = AgeSeconds(status, r)) {
      range["last_complete_repair_micros"] = r.last_complete_repair_micros;
      range["last_complete_repair"] = FormatUtcMicros(r.last_complete_repair_micros);
      range["age_seconds"] = *age;
    } else {
      range["last_complete_repair_micros"] = nullptr;
      range["last_complete_repair"] = nullptr;
      range["age_seconds"] = nullptr;
    }
    range["purge_allowed"] = r.purge_allowed;
    if (r.purge_allowed) {
      range["purge_written_by_micros"] = r.purge_written_by_micros;
    } else {
      range["purge_written_by_micros"] = nullptr;
    }
    range["overdue"] = Overdue(status, r);
    ranges.push_back(std::move(range));
  }
  out["ranges"] = std::move(ranges);
  return json::Serialize(out) + "\n";
}

}  // namespace kv
