// The index of a table: for each data block in file order, its last key and handle
// (docs/formats.md, "SSTable", index block). The writer appends and encodes; a reader decodes it
// once at Open and keeps it in memory, keys in one arena. Immutable after Decode: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/storage/block_trailer.h"

namespace kv {

class TableIndex {
 public:
  void Append(std::string_view last_key, const BlockHandle& handle);
  std::string Encode() const;
  // Parses an index block's contents. Checks that keys ascend strictly and that blocks are laid
  // end to end from offset 0 up to data_end. Returns a message saying what is wrong otherwise.
  static std::optional<TableIndex> Decode(std::string_view contents, uint64_t data_end,
                                          std::string* error);

  size_t size() const { return records_.size(); }
  std::string_view last_key(size_t i) const {
    return std::string_view(keys_).substr(records_[i].key_offset, records_[i].key_size);
  }
  BlockHandle handle(size_t i) const { return {records_[i].offset, records_[i].size}; }
  // The first block whose last key >= key: the only block that may hold key. size() if none.
  size_t Find(std::string_view key) const;
  size_t MemoryUsage() const { return keys_.capacity() + records_.capacity() * sizeof(Record); }

 private:
  struct Record {
    uint64_t key_offset;
    uint32_t key_size;
    uint64_t offset;
    uint64_t size;
  };
  std::string keys_;
  std::vector<Record> records_;
};

}  // namespace kv
