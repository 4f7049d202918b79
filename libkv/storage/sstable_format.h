// Constants of the SSTable file format. The grammar is docs/formats.md, section "SSTable"; change
// both together, and bump kTableFormatVersion when old readers could misread new files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv {

// Last 8 bytes of every table file (fixed64, little-endian): "kvSSTab\x01" read as bytes.
inline constexpr uint64_t kTableMagic = 0x016261545353766bull;
inline constexpr uint32_t kTableFormatVersion = 1;

// Footer: fixed64 filter offset, fixed64 filter size, fixed64 properties offset, fixed64
// properties size, fixed64 index offset, fixed64 index size, fixed32 format version, fixed32
// masked CRC-32C of the 52 bytes before it, fixed64 magic.
inline constexpr size_t kFooterBytes = 6 * 8 + 4 + 4 + 8;

// Every block is followed by: byte block type, byte codec, fixed32 masked CRC-32C of the block's
// bytes followed by the type and codec bytes.
inline constexpr size_t kBlockTrailerBytes = 1 + 1 + 4;

enum class BlockType : uint8_t {
  kData = 1,
  kFilter = 2,
  kProperties = 3,
  kIndex = 4,
};

// How the block's bytes are stored. Only kNone exists yet; LZ4/zstd take the next numbers.
enum class BlockCodec : uint8_t {
  kNone = 0,
};

// The bloom filter stores its hash count; readers reject more than this.
inline constexpr uint32_t kMaxBloomHashCount = 30;

// Entry kinds as stored (EntryKind's values): 1 value, 2 tombstone.
inline constexpr uint8_t kStoredValueKind = 1;
inline constexpr uint8_t kStoredTombstoneKind = 2;

}  // namespace kv
