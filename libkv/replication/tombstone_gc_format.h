// Constants of the repair record file (DATA/REPAIRS): docs/formats.md, "Repair record".
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv {

// The first byte of the file. A reader rejects any other (and then purges nothing until the next
// complete repair).
inline constexpr uint8_t kRepairRecordFormatVersion = 1;
// A record: fixed64 range start, fixed64 range end, fixed64 repair start (micros since the epoch).
inline constexpr size_t kRepairRecordBytes = 24;

}  // namespace kv
