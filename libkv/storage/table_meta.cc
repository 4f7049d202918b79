#include "libkv/storage/table_meta.h"

#include <fmt/format.h>

#include "libkv/base/checksum.h"
#include "libkv/base/coding.h"

namespace kv {
namespace {

constexpr size_t kFooterCrcOffset = 6 * 8 + 4;
constexpr size_t kFooterMagicOffset = kFooterCrcOffset + 4;
static_assert(kFooterMagicOffset + 8 == kFooterBytes);

}  // namespace

std::string EncodeFooter(const TableFooter& f) {
  std::string out;
  out.reserve(kFooterBytes);
  for (const BlockHandle* h : {&f.filter, &f.properties, &f.index}) {
    PutFixed64(&out, h->offset);
    PutFixed64(&out, h->size);
  }
  PutFixed32(&out, f.version);
  PutFixed32(&out, MaskCrc(Crc32c(out)));
  PutFixed64(&out, kTableMagic);
  return out;
}

std::optional<TableFooter> DecodeFooter(std::string_view in, std::string* error, size_t* error_at) {
  if (in.size() != kFooterBytes) {
    *error = "footer is short";
    *error_at = 0;
    return std::nullopt;
  }
  const uint64_t magic = DecodeFixed64(in.data() + kFooterMagicOffset);
  if (magic != kTableMagic) {
    *error = fmt::format("bad magic number {:#018x} (not a kv SSTable, or truncated)", magic);
    *error_at = kFooterMagicOffset;
    return std::nullopt;
  }
  const uint32_t stored = UnmaskCrc(DecodeFixed32(in.data() + kFooterCrcOffset));
  if (stored != Crc32c(in.substr(0, kFooterCrcOffset))) {
    *error = "footer checksum mismatch";
    *error_at = 0;
    return std::nullopt;
  }
  TableFooter f;
  const char* p = in.data();
  for (BlockHandle* h : {&f.filter, &f.properties, &f.index}) {
    h->offset = DecodeFixed64(p);
    h->size = DecodeFixed64(p + 8);
    p += 16;
  }
  f.version = DecodeFixed32(p);
  if (f.version < kOldestReadableTableFormatVersion || f.version > kTableFormatVersion) {
    *error = fmt::format("format version {}; this kv reads versions {} to {}", f.version,
                         kOldestReadableTableFormatVersion, kTableFormatVersion);
    *error_at = 6 * 8;
    return std::nullopt;
  }
  return f;
}

std::string EncodeProperties(const TableProperties& p) {
  std::string out;
  PutVarint64(&out, p.entries);
  PutVarint64(&out, p.tombstones);
  PutLengthPrefixed(&out, p.smallest_key);
  PutLengthPrefixed(&out, p.largest_key);
  PutVarint64(&out, p.smallest_seq);
  PutVarint64(&out, p.largest_seq);
  out.push_back(static_cast<char>(p.compression));
  PutVarint64(&out, p.data_raw_bytes);
  PutVarint64(&out, p.data_stored_bytes);
  PutVarint64(&out, p.data_blocks);
  PutVarint64(&out, p.compressed_blocks);
  return out;
}

std::optional<TableProperties> DecodeProperties(std::string_view in, uint32_t version,
                                                std::string* error) {
  TableProperties p;
  std::string_view smallest, largest;
  if (!GetVarint64(&in, &p.entries) || !GetVarint64(&in, &p.tombstones) ||
      !GetLengthPrefixed(&in, &smallest) || !GetLengthPrefixed(&in, &largest) ||
      !GetVarint64(&in, &p.smallest_seq) || !GetVarint64(&in, &p.largest_seq)) {
    *error = "truncated properties block";
    return std::nullopt;
  }
  if (version >= 2) {
    if (in.empty() || static_cast<uint8_t>(in[0]) > kMaxBlockCodec) {
      *error = "properties block has no known codec";
      return std::nullopt;
    }
    p.compression = static_cast<BlockCodec>(in[0]);
    in.remove_prefix(1);
    if (!GetVarint64(&in, &p.data_raw_bytes) || !GetVarint64(&in, &p.data_stored_bytes) ||
        !GetVarint64(&in, &p.data_blocks) || !GetVarint64(&in, &p.compressed_blocks)) {
      *error = "truncated properties block (data sizes)";
      return std::nullopt;
    }
    if (p.compressed_blocks > p.data_blocks ||
        (p.compression == BlockCodec::kNone && p.compressed_blocks > 0)) {
      *error = "inconsistent properties (compressed block count)";
      return std::nullopt;
    }
  }
  if (!in.empty()) {
    *error = fmt::format("{} stray bytes after the properties", in.size());
    return std::nullopt;
  }
  const bool empty = p.entries == 0;
  if (p.tombstones > p.entries || (empty && (!smallest.empty() || !largest.empty())) ||
      (!empty && (smallest.empty() || largest < smallest)) || p.smallest_seq > p.largest_seq) {
    *error = "inconsistent properties (counts, key range or sequence range)";
    return std::nullopt;
  }
  p.smallest_key = smallest;
  p.largest_key = largest;
  return p;
}

}  // namespace kv
