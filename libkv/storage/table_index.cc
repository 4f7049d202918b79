#include "libkv/storage/table_index.h"

#include <fmt/format.h>

#include "libkv/base/coding.h"

namespace kv {

void TableIndex::Append(std::string_view last_key, const BlockHandle& handle) {
  records_.push_back(
      {keys_.size(), static_cast<uint32_t>(last_key.size()), handle.offset, handle.size});
  keys_.append(last_key);
}

std::string TableIndex::Encode() const {
  std::string out;
  out.reserve(keys_.size() + records_.size() * 8 + 10);
  PutVarint64(&out, records_.size());
  for (size_t i = 0; i < records_.size(); ++i) {
    PutLengthPrefixed(&out, last_key(i));
    PutVarint64(&out, records_[i].offset);
    PutVarint64(&out, records_[i].size);
  }
  return out;
}

std::optional<TableIndex> TableIndex::Decode(std::string_view in, uint64_t data_end,
                                             std::string* error) {
  TableIndex index;
  uint64_t count = 0;
  if (!GetVarint64(&in, &count)) {
    *error = "truncated index entry count";
    return std::nullopt;
  }
  // Each entry takes at least 4 bytes, so a count beyond that is corrupt (and must not reserve).
  if (count > in.size() / 4 + 1) {
    *error = fmt::format("index claims {} entries in {} bytes", count, in.size());
    return std::nullopt;
  }
  index.records_.reserve(count);
  uint64_t expected_offset = 0;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key;
    BlockHandle h;
    if (!GetLengthPrefixed(&in, &key) || !GetVarint64(&in, &h.offset) ||
        !GetVarint64(&in, &h.size)) {
      *error = fmt::format("index entry {} is truncated", i);
      return std::nullopt;
    }
    if (key.empty() || (i > 0 && key <= index.last_key(i - 1))) {
      *error = fmt::format("index entry {} has an empty or out-of-order key", i);
      return std::nullopt;
    }
    if (h.offset != expected_offset || h.size > data_end || h.end() > data_end) {
      *error = fmt::format(
          "index entry {} points at a block at offset {} of {} bytes; expected "
          "offset {} and an end at or before {}",
          i, h.offset, h.size, expected_offset, data_end);
      return std::nullopt;
    }
    expected_offset = h.end();
    index.Append(key, h);
  }
  if (!in.empty()) {
    *error = fmt::format("{} stray bytes after the index entries", in.size());
    return std::nullopt;
  }
  if (expected_offset != data_end) {
    *error = fmt::format("data blocks end at offset {} but the next block starts at {}",
                         expected_offset, data_end);
    return std::nullopt;
  }
  return index;
}

size_t TableIndex::Find(std::string_view key) const {
  size_t lo = 0, hi = records_.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (last_key(mid) < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace kv
