#include "libkv/storage/block_trailer.h"

#include <fmt/format.h>

#include "libkv/base/checksum.h"
#include "libkv/base/coding.h"
#include "libkv/storage/block_codec.h"
#include "libkv/storage/block_reader.h"

namespace kv {

std::string_view BlockTypeName(BlockType type) {
  switch (type) {
    case BlockType::kData:
      return "data";
    case BlockType::kFilter:
      return "filter";
    case BlockType::kProperties:
      return "properties";
    case BlockType::kIndex:
      return "index";
  }
  return "unknown";
}

std::string MakeBlockTrailer(std::string_view contents, BlockType type, BlockCodec codec) {
  char t[kBlockTrailerBytes];
  t[0] = static_cast<char>(type);
  t[1] = static_cast<char>(codec);
  const uint32_t crc = Crc32c(std::string_view(t, 2), Crc32c(contents));
  EncodeFixed32(t + 2, MaskCrc(crc));
  return std::string(t, kBlockTrailerBytes);
}

Result<std::string_view> ReadBlock(const RandomAccessFile& file, std::string_view path,
                                   const BlockHandle& handle, BlockType type, char* scratch,
                                   std::string* uncompressed) {
  const size_t n = handle.size + kBlockTrailerBytes;
  auto read = file.Read(handle.offset, n, scratch);
  if (!read.ok()) return read.status().WithContext(fmt::format("reading {}", path));
  const std::string_view got = *read;
  if (got.size() != n)
    return TableCorruption(path, handle.offset + got.size(),
                           fmt::format("file ends inside the {} block at offset {}",
                                       BlockTypeName(type), handle.offset));
  const char* trailer = got.data() + handle.size;
  const uint64_t trailer_offset = handle.offset + handle.size;
  const uint32_t stored = UnmaskCrc(DecodeFixed32(trailer + 2));
  const uint32_t actual = Crc32c(std::string_view(trailer, 2), Crc32c(got.substr(0, handle.size)));
  if (stored != actual)
    return TableCorruption(path, handle.offset,
                           fmt::format("checksum mismatch in the {} block of {} bytes at offset {}",
                                       BlockTypeName(type), handle.size, handle.offset));
  if (static_cast<uint8_t>(trailer[0]) != static_cast<uint8_t>(type))
    return TableCorruption(path, trailer_offset,
                           fmt::format("block type {} where a {} block belongs",
                                       static_cast<uint8_t>(trailer[0]), BlockTypeName(type)));
  const uint8_t codec = static_cast<uint8_t>(trailer[1]);
  if (codec > kMaxBlockCodec)
    return TableCorruption(
        path, trailer_offset + 1,
        fmt::format("unknown block codec {} (written by a newer kv?)", static_cast<int>(codec)));
  if (codec == static_cast<uint8_t>(BlockCodec::kNone)) return got.substr(0, handle.size);
  if (uncompressed == nullptr)
    return TableCorruption(
        path, trailer_offset + 1,
        fmt::format("a {} block is compressed; only data blocks may be", BlockTypeName(type)));
  std::string error;
  if (!UncompressBlock(static_cast<BlockCodec>(codec), got.substr(0, handle.size), uncompressed,
                       &error))
    return TableCorruption(
        path, handle.offset,
        fmt::format("{} {} block of {} bytes: {}", BlockCodecName(static_cast<BlockCodec>(codec)),
                    BlockTypeName(type), handle.size, error));
  return std::string_view(*uncompressed);
}

}  // namespace kv
