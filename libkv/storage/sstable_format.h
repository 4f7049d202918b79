// Constants of the SSTable file format. The grammar is docs/formats.md, section "SSTable"; change
// both together, and bump kTableFormatVersion when old readers could misread new files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv {

// Last 8 bytes of every table file (fixed64, little-endian): "kvSSTab\x01" read as bytes.
inline constexpr uint64_t kTableMagic = 0x016261545353766bull;
// 2: data blocks may be compressed (codec byte 1 or 2) and the properties block ends with the
// codec and the data's raw and stored sizes. Readers read versions 1 and 2 (a version-1 table
// is a version-2 table with every block raw and no codec properties); a version-1 reader refuses
// version 2 at Open, before it could meet a compressed block.
inline constexpr uint32_t kTableFormatVersion = 2;
inline constexpr uint32_t kOldestReadableTableFormatVersion = 1;

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

// How the block's bytes are stored. A compressed block is varint32 raw length, then the codec's
// output (an LZ4 block, or one zstd frame). Only data blocks are ever compressed.
enum class BlockCodec : uint8_t {
  kNone = 0,
  kLz4 = 1,
  kZstd = 2,
};
inline constexpr uint8_t kMaxBlockCodec = 2;

// A data block is stored compressed only when that saves at least 1/8 of its bytes (LevelDB's
// rule): less would cost a decompression on every read for little disk.
inline constexpr size_t kMinCompressionSavingShift = 3;

// The bloom filter stores its hash count; readers reject more than this.
inline constexpr uint32_t kMaxBloomHashCount = 30;

// Entry kinds as stored (EntryKind's values): 1 value, 2 tombstone.
inline constexpr uint8_t kStoredValueKind = 1;
inline constexpr uint8_t kStoredTombstoneKind = 2;

}  // namespace kv
