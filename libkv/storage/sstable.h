// SSTable: an immutable sorted file of entries (docs/formats.md, "SSTable"; constants in
// sstable_format.h). TableWriter builds one from entries added in strictly ascending key order;
// TableReader opens one, answers point lookups (range check, then bloom filter, then index, then
// one data block) and iterates. Every block is checksummed; a reader returns Corruption naming
// the file and offset, never wrong data.
//
// Threads: a TableWriter is used by one thread. A TableReader is immutable after Open and safe to
// use from many threads; each iterator is used by one thread and keeps the reader alive.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/storage/entry.h"
#include "libkv/storage/iterator.h"
#include "libkv/storage/sstable_format.h"

namespace kv {

struct TableOptions {
  size_t block_bytes = 4096;    // target uncompressed size of a data block
  int bloom_bits_per_key = 10;  // 0 turns the filter off
  int restart_interval = 16;    // keys between full (unshared-prefix) keys in a block
  // Tried on every data block; a block it does not shrink by 1/8 is stored raw. LZ4: it
  // decompresses at memory speed, so a read costs about what it did raw (docs/benchmarks.md).
  BlockCodec compression = BlockCodec::kLz4;
};

// What a finished table holds, kept in the manifest and shown by kvsstdump.
struct TableProperties {
  uint64_t entries = 0;
  uint64_t tombstones = 0;
  uint64_t file_bytes = 0;
  std::string smallest_key;
  std::string largest_key;
  SequenceNumber smallest_seq = 0;
  SequenceNumber largest_seq = 0;
  // Data blocks (format version 2; a version-1 table reads as none and zero sizes): the codec
  // the writer tried, the blocks' bytes before and as stored (without trailers), and how many
  // blocks kept their compressed form.
  BlockCodec compression = BlockCodec::kNone;
  uint64_t data_raw_bytes = 0;
  uint64_t data_stored_bytes = 0;
  uint64_t data_blocks = 0;
  uint64_t compressed_blocks = 0;
};

class TableWriter {
 public:
  // Writes to `path` (the caller picks a temporary name and renames it after Finish).
  static Result<std::unique_ptr<TableWriter>> Create(Env* env, const std::string& path,
                                                     const TableOptions& options);
  virtual ~TableWriter() = default;
  // REQUIRES: entry.key > every key added before.
  virtual Status Add(const EntryView& entry) = 0;
  // Writes filter, index and footer, syncs and closes the file.
  virtual Result<TableProperties> Finish() = 0;
  // Bytes written so far (for splitting compaction output).
  virtual uint64_t FileSize() const = 0;
};

class BlockCache;

// How a TableReader reads. The defaults read every data block from the file.
struct TableReadOptions {
  // Shared by an engine's readers: Get keeps the data blocks it read and checked here, so a hot
  // block costs neither a read nor a checksum. Null: no cache.
  std::shared_ptr<BlockCache> block_cache;
  // Map the file (reads are views into the page cache, no copy) or read it with pread (the
  // pages a read touches are not counted in the process's resident memory: a memory budget).
  bool map_file = true;
};

// The outcome of a point lookup in one table.
struct TableLookup {
  enum class Outcome { kAbsent, kFound };
  Outcome outcome = Outcome::kAbsent;
  EntryKind kind = EntryKind::kValue;  // when found
  SequenceNumber seq = 0;              // when found
  std::string value;                   // when found and a value
  bool bloom_skipped = false;          // the filter answered "absent" without reading a block
};

// The bloom filter's figures, for kvsstdump --bloom and benchmarks.
struct BloomInfo {
  uint64_t bits = 0;
  int hash_count = 0;
  uint64_t keys = 0;
  double expected_false_positive_rate = 0;  // from bits, keys and hash count
};

// One index entry: the data block's last key, offset and size (kvsstdump --index).
struct IndexEntry {
  std::string last_key;
  uint64_t offset = 0;
  uint64_t size = 0;
};

class TableReader : public std::enable_shared_from_this<TableReader> {
 public:
  // Reads and checks the footer, index and filter; data blocks are read on demand.
  static Result<std::shared_ptr<TableReader>> Open(Env* env, const std::string& path,
                                                   const TableReadOptions& options);
  static Result<std::shared_ptr<TableReader>> Open(Env* env, const std::string& path) {
    return Open(env, path, TableReadOptions{});
  }
  virtual ~TableReader() = default;

  virtual Result<TableLookup> Get(std::string_view key) const = 0;
  // The iterator keeps this reader alive.
  virtual std::unique_ptr<Iterator> NewIterator() const = 0;
  virtual const TableProperties& properties() const = 0;
  virtual BloomInfo bloom() const = 0;
  virtual std::vector<IndexEntry> index() const = 0;
  // Reads every block and checks every checksum; the first failure names file and offset.
  virtual Status Verify() const = 0;
  virtual const std::string& path() const = 0;
  // Memory held from Open to the end: the index and the bloom filter (for the memory budget).
  virtual size_t MemoryUsage() const = 0;
};

}  // namespace kv
