// CRC-32C (Castagnoli), the checksum of every record and block on disk. Uses the SSE4.2 crc32
// instruction when the processor has it, a table otherwise; both give the same value.
// Stored checksums are masked (as LevelDB does) so that a CRC of bytes that themselves embed
// CRCs does not collide trivially. Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace kv {

// CRC-32C of `data`, continuing from `crc` (0 to start).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

inline uint32_t MaskCrc(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
inline uint32_t UnmaskCrc(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace kv
