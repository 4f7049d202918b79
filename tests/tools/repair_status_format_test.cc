// kvrepair --status's two forms (tools/common/repair_status_format.h), pinned: a range repaired
// within the grace, one repaired longer ago, one never; which of them are overdue.
#include "tools/common/repair_status_format.h"

#include <doctest/doctest.h>

namespace kv {
namespace {

constexpr uint64_t kSecond = 1'000'000;
constexpr uint64_t kNow = uint64_t{1'700'000'000} * kSecond;

RepairStatusResponse ThreeRanges() {
  RepairStatusResponse status;
  status.id = std::string(1, 'a');  // not = "a": GCC 12 warns falsely there (-Wrestrict)
  status.now_micros = kNow;
  status.grace_seconds = 86400;
  status.ranges.push_back(RangeRepairStatus{.start = 0,
                                            .end = 0x5555555555555555,
                                            .last_complete_repair_micros = kNow - 192 * kSecond,
                                            .purge_allowed = true,
                                            .purge_written_by_micros = kNow - 86592 * kSecond});
  status.ranges.push_back(
      RangeRepairStatus{.start = 0x5555555555555555,
                        .end = 0xaaaaaaaaaaaaaaaa,
                        .last_complete_repair_micros = kNow - 2 * 86400 * kSecond,
                        .purge_allowed = true,
                        .purge_written_by_micros = kNow - 3 * 86400 * kSecond});
  status.ranges.push_back(RangeRepairStatus{.start = 0xaaaaaaaaaaaaaaaa, .end = 0});
  return status;
}

TEST_CASE("repair status: overdue means never, or last repaired longer ago than the grace") {
  RepairStatusResponse status = ThreeRanges();
  CHECK(OverdueRanges(status) == 2);
  status.ranges.resize(1);
  CHECK(OverdueRanges(status) == 0);
  // Exactly the grace ago is still within it.
  status.ranges[0].last_complete_repair_micros = kNow - 86400 * kSecond;
  CHECK(OverdueRanges(status) == 0);
  status.ranges[0].last_complete_repair_micros = kNow - 86401 * kSecond;
  CHECK(OverdueRanges(status) == 1);
}

TEST_CASE("repair status as text: a row per range, never and not allowed, the overdue note") {
  CHECK(FormatRepairStatusText(ThreeRanges(), "127.0.0.1:7000") ==
        "repair status of a (127.0.0.1:7000): 3 ranges, tombstone grace 1d00h\n"
        "RANGE                                     LAST COMPLETE REPAIR         AGE    TOMBSTONE "
        "GC\n"
        "(0x0000000000000000, 0x5555555555555555]  2023-11-14T22:10:08.000000Z  3m12s  purging "
        "allowed\n"
        "(0x5555555555555555, 0xaaaaaaaaaaaaaaaa]  2023-11-12T22:13:20.000000Z  2d00h  purging "
        "allowed\n"
        "(0xaaaaaaaaaaaaaaaa, 0x0000000000000000]  never                        -      purging not "
        "allowed\n"
        "2 of 3 ranges not completely repaired within the grace (1d00h): their tombstones are "
        "kept until a repair that reaches every replica (run kvrepair)\n");
}

TEST_CASE("repair status as JSON: raw numbers, null for never") {
  RepairStatusResponse status = ThreeRanges();
  status.ranges.erase(status.ranges.begin() + 1);
  CHECK(FormatRepairStatusJson(status) ==
        "{\"id\":\"a\",\"now_micros\":1700000000000000,\"grace_seconds\":86400,"
        "\"overdue_ranges\":1,\"ranges\":["
        "{\"start\":0,\"end\":6148914691236517205,"
        "\"last_complete_repair_micros\":1699999808000000,"
        "\"last_complete_repair\":\"2023-11-14T22:10:08.000000Z\",\"age_seconds\":192,"
        "\"purge_allowed\":true,\"purge_written_by_micros\":1699913408000000,\"overdue\":false},"
        "{\"start\":12297829382473034410,\"end\":0,\"last_complete_repair_micros\":null,"
        "\"last_complete_repair\":null,\"age_seconds\":null,\"purge_allowed\":false,"
        "\"purge_written_by_micros\":null,\"overdue\":true}]}\n");
}

}  // namespace
}  // namespace kv
