#include "libkv/storage/block_codec.h"

#include <lz4.h>
#include <zstd.h>

#include <memory>

#include <fmt/format.h>

#include "libkv/base/coding.h"
#include "libkv/base/limits.h"

namespace kv {
namespace {

// zstd's own default level; whoever picks zstd over LZ4 asked for size over speed.
constexpr int kZstdLevel = 3;

// A block holds at most a 64 MiB target plus one maximal entry; a recorded length beyond this is
// corruption, not a reason to allocate.
constexpr uint32_t kMaxRawBlockBytes = (64u << 20) + kMaxKeyBytes + kMaxStoredValueBytes + 1024;

// One context per thread: creating one per block costs more than compressing 4 KiB.
struct ZstdContexts {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> c{ZSTD_createCCtx(), ZSTD_freeCCtx};
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> d{ZSTD_createDCtx(), ZSTD_freeDCtx};
};
ZstdContexts& Zstd() {
  thread_local ZstdContexts contexts;
  return contexts;
}

}  // namespace

Result<BlockCodec> ParseBlockCodec(std::string_view name) {
  if (name == "none") return BlockCodec::kNone;
  if (name == "lz4") return BlockCodec::kLz4;
  if (name == "zstd") return BlockCodec::kZstd;
  return Status::InvalidArgument(
      fmt::format("unknown compression '{}' (expected lz4, zstd or none)", name));
}

std::string_view BlockCodecName(BlockCodec codec) {
  switch (codec) {
    case BlockCodec::kNone:
      return "none";
    case BlockCodec::kLz4:
      return "lz4";
    case BlockCodec::kZstd:
      return "zstd";
  }
  return "unknown";
}

std::string CompressBlock(BlockCodec codec, std::string_view raw) {
  std::string out;
  PutVarint32(&out, static_cast<uint32_t>(raw.size()));
  const size_t header = out.size();
  if (codec == BlockCodec::kLz4) {
    const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    out.resize(header + static_cast<size_t>(bound));
    const int n =
        LZ4_compress_default(raw.data(), out.data() + header, static_cast<int>(raw.size()), bound);
    out.resize(header + static_cast<size_t>(n > 0 ? n : 0));
  } else {
    const size_t bound = ZSTD_compressBound(raw.size());
    out.resize(header + bound);
    const size_t n = ZSTD_compressCCtx(Zstd().c.get(), out.data() + header, bound, raw.data(),
                                       raw.size(), kZstdLevel);
    out.resize(header + (ZSTD_isError(n) ? 0 : n));
  }
  return out;
}

bool UncompressBlock(BlockCodec codec, std::string_view stored, std::string* raw,
                     std::string* error) {
  uint32_t raw_bytes = 0;
  if (!GetVarint32(&stored, &raw_bytes)) {
    *error = "compressed block has no length";
    return false;
  }
  if (raw_bytes > kMaxRawBlockBytes) {
    *error =
        fmt::format("compressed block claims {} raw bytes, more than any block holds", raw_bytes);
    return false;
  }
  raw->resize(raw_bytes);
  if (codec == BlockCodec::kLz4) {
    // _safe never reads past the input or writes past raw_bytes, whatever the input.
    const int n = LZ4_decompress_safe(stored.data(), raw->data(), static_cast<int>(stored.size()),
                                      static_cast<int>(raw_bytes));
    if (n < 0 || static_cast<uint32_t>(n) != raw_bytes) {
      *error = fmt::format("lz4 data does not decode to the recorded {} bytes", raw_bytes);
      return false;
    }
    return true;
  }
  if (codec == BlockCodec::kZstd) {
    const size_t n =
        ZSTD_decompressDCtx(Zstd().d.get(), raw->data(), raw_bytes, stored.data(), stored.size());
    if (ZSTD_isError(n) || n != raw_bytes) {
      *error = fmt::format("zstd data does not decode to the recorded {} bytes{}", raw_bytes,
                           ZSTD_isError(n) ? fmt::format(" ({})", ZSTD_getErrorName(n)) : "");
      return false;
    }
    return true;
  }
  *error = fmt::format("block codec {} is not a compression", static_cast<int>(codec));
  return false;
}

}  // namespace kv
