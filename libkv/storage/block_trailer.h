// Where a block lives in a table file, and the trailer that follows every block: type, codec and
// masked CRC-32C (docs/formats.md, "SSTable", block trailer). ReadBlock is the one place that
// reads a block from disk and checks it. Pure functions plus a const file read: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/storage/sstable_format.h"

namespace kv {

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;  // the block's bytes, without its trailer
  uint64_t end() const { return offset + size + kBlockTrailerBytes; }
};

std::string_view BlockTypeName(BlockType type);

// The 6-byte trailer for `contents` (the block's bytes as stored) under `codec`.
std::string MakeBlockTrailer(std::string_view contents, BlockType type,
                             BlockCodec codec = BlockCodec::kNone);

// Reads the block at `handle` and its trailer with one read into `scratch` (which must hold
// handle.size + kBlockTrailerBytes bytes), checks type, codec and checksum, and returns the
// block's raw bytes: in scratch or the file's own memory when stored raw, else decompressed into
// *uncompressed. Only data blocks may be compressed, and only they pass `uncompressed`. Errors
// (a bad checksum, a codec this kv does not know, compressed bytes that do not decode) are
// Corruption naming `path` and the offset.
Result<std::string_view> ReadBlock(const RandomAccessFile& file, std::string_view path,
                                   const BlockHandle& handle, BlockType type, char* scratch,
                                   std::string* uncompressed = nullptr);

}  // namespace kv
