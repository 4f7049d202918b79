// Block compression for SSTable data blocks (docs/formats.md, "SSTable", compressed blocks):
// LZ4 (the default: fast both ways), zstd (smaller, slower) or none. Compress and Uncompress are
// pure functions of their arguments (each thread keeps its own zstd contexts): any thread.
#pragma once

#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/storage/sstable_format.h"

namespace kv {

// "none" | "lz4" | "zstd"
Result<BlockCodec> ParseBlockCodec(std::string_view name);
std::string_view BlockCodecName(BlockCodec codec);

// The stored form of `raw` under `codec` (REQUIRES: codec != kNone): varint32 raw length, then
// the compressed bytes. The caller decides whether it saved enough to keep.
std::string CompressBlock(BlockCodec codec, std::string_view raw);

// The raw bytes of a block stored under `codec` (REQUIRES: codec != kNone), checked to have
// exactly the recorded length. On failure returns false and says why in *error; never reads or
// writes outside `stored` and *raw, whatever the bytes.
bool UncompressBlock(BlockCodec codec, std::string_view stored, std::string* raw,
                     std::string* error);

}  // namespace kv
