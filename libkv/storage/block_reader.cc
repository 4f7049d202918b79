#include "libkv/storage/block_reader.h"

#include <fmt/format.h>

#include "libkv/base/coding.h"
#include "libkv/storage/sstable_format.h"

namespace kv {

Status TableCorruption(std::string_view path, uint64_t offset, std::string_view what) {
  return Status::Corruption(fmt::format("{}: corruption at offset {}: {}", path, offset, what));
}

Status BlockReader::Init(std::string_view contents, std::string_view path, uint64_t file_offset) {
  data_ = contents;
  path_ = path;
  file_offset_ = file_offset;
  valid_ = false;
  status_ = Status::Ok();
  // Offsets inside a block are 32-bit; writers never make a block near that size.
  if (contents.size() > UINT32_MAX)
    return status_ = TableCorruption(path, file_offset, "data block larger than 4 GiB");
  if (contents.size() < 4)
    return status_ =
               TableCorruption(path, file_offset, "data block shorter than its restart count");
  const uint32_t n = DecodeFixed32(contents.data() + contents.size() - 4);
  const uint64_t max_restarts = (contents.size() - 4) / 4;
  if (n == 0 || n > max_restarts)
    return status_ = TableCorruption(path, file_offset + contents.size() - 4,
                                     fmt::format("bad restart count {} in data block", n));
  num_restarts_ = n;
  restarts_offset_ = static_cast<uint32_t>(contents.size() - 4 - 4 * uint64_t{n});
  uint32_t prev = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t r = RestartPoint(i);
    if ((i == 0 && r != 0) || (i > 0 && r <= prev) || r >= restarts_offset_)
      return status_ = TableCorruption(path, file_offset + restarts_offset_ + 4 * i,
                                       fmt::format("bad restart point {} in data block", r));
    prev = r;
  }
  return Status::Ok();
}

uint32_t BlockReader::RestartPoint(uint32_t index) const {
  return DecodeFixed32(data_.data() + restarts_offset_ + 4 * index);
}

void BlockReader::Fail(uint32_t offset, std::string_view what) {
  valid_ = false;
  if (status_.ok()) status_ = TableCorruption(path_, file_offset_ + offset, what);
}

bool BlockReader::DecodeAt(uint32_t offset, bool check_order) {
  std::string_view in = data_.substr(offset, restarts_offset_ - offset);
  uint32_t shared = 0, unshared = 0, value_len = 0;
  // Fast path: the three lengths are almost always one byte each.
  if (in.size() >= 3 &&
      ((static_cast<uint8_t>(in[0]) | static_cast<uint8_t>(in[1]) | static_cast<uint8_t>(in[2])) &
       0x80) == 0) {
    shared = static_cast<uint8_t>(in[0]);
    unshared = static_cast<uint8_t>(in[1]);
    value_len = static_cast<uint8_t>(in[2]);
    in.remove_prefix(3);
  } else if (!GetVarint32(&in, &shared) || !GetVarint32(&in, &unshared) ||
             !GetVarint32(&in, &value_len)) {
    Fail(offset, "truncated entry header in data block");
    return false;
  }
  if (shared > key_.size()) {
    Fail(offset, fmt::format("entry shares {} key bytes with a {}-byte key", shared, key_.size()));
    return false;
  }
  if (unshared > in.size() || in.size() - unshared < 2) {
    Fail(offset, "entry key runs past the end of the data block");
    return false;
  }
  const std::string_view suffix = in.substr(0, unshared);
  in.remove_prefix(unshared);
  const uint8_t kind = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  uint64_t seq = 0;
  if (!GetVarint64(&in, &seq)) {
    Fail(offset, "truncated sequence number in data block");
    return false;
  }
  if (kind != kStoredValueKind && kind != kStoredTombstoneKind) {
    Fail(offset, fmt::format("unknown entry kind {} in data block", kind));
    return false;
  }
  if (kind == kStoredTombstoneKind && value_len != 0) {
    Fail(offset, "tombstone with a value in data block");
    return false;
  }
  if (value_len > in.size()) {
    Fail(offset, "entry value runs past the end of the data block");
    return false;
  }
  if (shared + unshared == 0) {
    Fail(offset, "empty key in data block");
    return false;
  }
  // Keys must ascend strictly (a malformed block would mislead Seek). The new key is the old one's
  // first `shared` bytes then `suffix`, so comparing the tails compares the keys.
  if (check_order && suffix <= std::string_view(key_).substr(shared)) {
    Fail(offset, "keys out of order in data block");
    return false;
  }
  key_.resize(shared);
  key_.append(suffix);
  seq_ = seq;
  kind_ = static_cast<EntryKind>(kind);
  value_ = in.substr(0, value_len);
  next_offset_ = static_cast<uint32_t>(value_.data() + value_.size() - data_.data());
  valid_ = true;
  return true;
}

void BlockReader::SeekToFirst() {
  valid_ = false;
  if (!status_.ok()) return;
  key_.clear();
  DecodeAt(0, false);
}

void BlockReader::Next() {
  if (next_offset_ >= restarts_offset_) {
    valid_ = false;
    return;
  }
  DecodeAt(next_offset_, /*check_order=*/true);
}

void BlockReader::Seek(std::string_view target) {
  valid_ = false;
  if (!status_.ok()) return;
  // Binary search for the last restart point whose key < target; every restart key is whole.
  uint32_t left = 0, right = num_restarts_ - 1;
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    const uint32_t offset = RestartPoint(mid);
    key_.clear();
    if (!DecodeAt(offset, false)) return;
    if (std::string_view(key_) < target) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  key_.clear();
  if (!DecodeAt(RestartPoint(left), false)) return;
  // No order check while scanning: an entry is returned only when its key is the one asked for,
  // so disorder could not make a wrong value come back here; Next and Verify check order.
  while (valid_ && std::string_view(key_) < target) {
    if (next_offset_ >= restarts_offset_) {
      valid_ = false;
      return;
    }
    DecodeAt(next_offset_, /*check_order=*/false);
  }
}

}  // namespace kv
