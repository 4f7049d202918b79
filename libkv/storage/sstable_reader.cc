// TableReader: Open reads footer, index, filter and properties once and keeps them in memory;
// Get and iterators read one data block per step with one read (docs/formats.md, "SSTable").
#include <array>

#include <fmt/format.h>

#include "libkv/storage/block_cache.h"
#include "libkv/storage/block_reader.h"
#include "libkv/storage/bloom_filter.h"
#include "libkv/storage/sstable.h"
#include "libkv/storage/table_index.h"
#include "libkv/storage/table_meta.h"

namespace kv {
namespace {

// Everything Open reads besides the data blocks.
struct TableMeta {
  TableFooter footer;
  TableIndex index;
  std::optional<BloomFilter> filter;
  TableProperties props;
};

// Reads a meta block into an owned string (index and filter stay in memory).
Result<std::string> ReadOwnedBlock(const RandomAccessFile& file, std::string_view path,
                                   const BlockHandle& h, BlockType type) {
  std::string buf(h.size + kBlockTrailerBytes, '\0');
  KV_ASSIGN_OR_RETURN(std::string_view contents, ReadBlock(file, path, h, type, buf.data()));
  if (contents.data() != buf.data()) return std::string(contents);
  buf.resize(h.size);
  return buf;
}

Result<TableMeta> LoadMeta(const RandomAccessFile& file, const std::string& path) {
  const uint64_t size = file.Size();
  if (size < kFooterBytes)
    return TableCorruption(path, size,
                           fmt::format("file is {} bytes, shorter than the {}-byte footer "
                                       "(truncated, or not an SSTable)",
                                       size, kFooterBytes));
  const uint64_t footer_offset = size - kFooterBytes;
  std::array<char, kFooterBytes> scratch;
  auto read = file.Read(footer_offset, kFooterBytes, scratch.data());
  if (!read.ok()) return read.status().WithContext(fmt::format("reading {}", path));
  TableMeta m;
  std::string error;
  size_t error_at = 0;
  auto footer = DecodeFooter(*read, &error, &error_at);
  if (!footer) return TableCorruption(path, footer_offset + error_at, error);
  m.footer = *footer;

  // The layout is fixed: data blocks, [filter], properties, index, footer, end to end.
  const TableFooter& f = m.footer;
  auto fits = [&](const BlockHandle& h) {
    return h.offset <= footer_offset && h.size <= footer_offset && h.end() <= footer_offset;
  };
  const bool has_filter = f.filter.size != 0;
  if (!fits(f.index) || !fits(f.properties) || (has_filter && !fits(f.filter)) ||
      f.index.end() != footer_offset || f.properties.end() != f.index.offset ||
      (has_filter && f.filter.end() != f.properties.offset) ||
      (!has_filter && f.filter.offset != 0))
    return TableCorruption(path, footer_offset,
                           "footer block handles do not describe this file's layout "
                           "(truncated or overwritten)");
  const uint64_t data_end = has_filter ? f.filter.offset : f.properties.offset;

  KV_ASSIGN_OR_RETURN(std::string index_bytes,
                      ReadOwnedBlock(file, path, f.index, BlockType::kIndex));
  auto index = TableIndex::Decode(index_bytes, data_end, &error);
  if (!index) return TableCorruption(path, f.index.offset, "index block: " + error);
  m.index = std::move(*index);

  KV_ASSIGN_OR_RETURN(std::string props_bytes,
                      ReadOwnedBlock(file, path, f.properties, BlockType::kProperties));
  auto props = DecodeProperties(props_bytes, f.version, &error);
  if (!props) return TableCorruption(path, f.properties.offset, "properties block: " + error);
  m.props = std::move(*props);
  m.props.file_bytes = size;
  const bool empty = m.props.entries == 0;
  if (empty != (m.index.size() == 0) ||
      (!empty && m.props.largest_key != m.index.last_key(m.index.size() - 1)) ||
      m.index.size() > m.props.entries || (f.version >= 2 && m.props.data_blocks != m.index.size()))
    return TableCorruption(
        path, f.properties.offset,
        "properties disagree with the index (entry count, block count or largest key)");

  if (has_filter) {
    KV_ASSIGN_OR_RETURN(std::string filter_bytes,
                        ReadOwnedBlock(file, path, f.filter, BlockType::kFilter));
    m.filter = BloomFilter::Parse(std::move(filter_bytes));
    if (!m.filter || m.filter->keys() != m.props.entries)
      return TableCorruption(path, f.filter.offset, "malformed filter block");
  }
  return m;
}

class TableReaderImpl;

class TableIterator final : public Iterator {
 public:
  explicit TableIterator(std::shared_ptr<const TableReaderImpl> table) : table_(std::move(table)) {}

  bool Valid() const override { return status_.ok() && block_.Valid(); }
  void SeekToFirst() override;
  void Seek(std::string_view target) override;
  void Next() override;
  EntryView entry() const override { return block_.entry(); }
  Status status() const override { return status_.ok() ? block_.status() : status_; }

 private:
  // Loads block i (i < index size) and leaves block_ unpositioned; false on error.
  bool LoadBlock(size_t i);
  // After block_ ran off its end: checks the block's last key, moves on to the next block.
  void SkipToNextBlock();

  std::shared_ptr<const TableReaderImpl> table_;
  size_t block_index_ = 0;
  std::string buffer_;
  std::string uncompressed_;
  std::shared_ptr<const std::string> pinned_;  // the current block, when it came from the cache
  BlockReader block_;
  Status status_;
};

class TableReaderImpl final : public TableReader {
 public:
  TableReaderImpl(std::string path, std::unique_ptr<RandomAccessFile> file, TableMeta meta,
                  std::shared_ptr<BlockCache> cache)
      : path_(std::move(path)),
        file_(std::move(file)),
        meta_(std::move(meta)),
        cache_(std::move(cache)),
        cache_id_(cache_ ? cache_->NewId() : 0),
        pinned_bytes_(meta_.footer.index.size + meta_.footer.filter.size) {
    if (cache_) cache_->Pin(pinned_bytes_);
  }
  ~TableReaderImpl() override {
    if (cache_) cache_->Unpin(pinned_bytes_);
  }

  Result<TableLookup> Get(std::string_view key) const override {
    TableLookup r;
    const TableProperties& p = meta_.props;
    if (p.entries == 0 || key < std::string_view(p.smallest_key) ||
        key > std::string_view(p.largest_key))
      return r;
    if (meta_.filter && !meta_.filter->MayContain(key)) {
      r.bloom_skipped = true;
      return r;
    }
    const size_t i = meta_.index.Find(key);
    if (i == meta_.index.size()) return r;
    const BlockHandle h = meta_.index.handle(i);
    std::shared_ptr<const std::string> cached;
    std::string_view contents;
    if (cache_) cached = cache_->Lookup(cache_id_, h.offset);
    if (cached) {
      contents = *cached;
    } else {
      // Most blocks fit on the stack; a block holding one large value goes to the heap.
      std::array<char, 16 * 1024> stack_scratch;
      std::unique_ptr<char[]> heap_scratch;
      char* scratch = stack_scratch.data();
      if (h.size + kBlockTrailerBytes > stack_scratch.size()) {
        heap_scratch.reset(new char[h.size + kBlockTrailerBytes]);
        scratch = heap_scratch.get();
      }
      auto raw = std::make_shared<std::string>();
      KV_ASSIGN_OR_RETURN(contents,
                          ReadBlock(*file_, path_, h, BlockType::kData, scratch, raw.get()));
      if (cache_) {
        // The cache keeps raw (decompressed) blocks: a hit costs no read, checksum or
        // decompression. A block stored raw is copied out of the scratch.
        if (contents.data() != raw->data()) raw->assign(contents);
        contents = *raw;
        cached = std::move(raw);
        cache_->Insert(cache_id_, h.offset, cached);
      }
      return Find(key, contents, h);  // while the scratch lives
    }
    return Find(key, contents, h);
  }

  // The lookup within one checked data block.
  Result<TableLookup> Find(std::string_view key, std::string_view contents,
                           const BlockHandle& h) const {
    TableLookup r;
    BlockReader block;
    KV_RETURN_IF_ERROR(block.Init(contents, path_, h.offset));
    block.Seek(key);
    KV_RETURN_IF_ERROR(block.status());
    if (block.Valid() && block.key() == key) {
      const EntryView e = block.entry();
      r.outcome = TableLookup::Outcome::kFound;
      r.kind = e.kind;
      r.seq = e.seq;
      r.value.assign(e.value);
    }
    return r;
  }

  std::unique_ptr<Iterator> NewIterator() const override {
    return std::make_unique<TableIterator>(
        std::static_pointer_cast<const TableReaderImpl>(shared_from_this()));
  }

  const TableProperties& properties() const override { return meta_.props; }

  BloomInfo bloom() const override {
    BloomInfo b;
    if (!meta_.filter) return b;
    b.bits = meta_.filter->bits();
    b.hash_count = meta_.filter->hash_count();
    b.keys = meta_.filter->keys();
    b.expected_false_positive_rate = BloomExpectedFalsePositiveRate(b.bits, b.keys, b.hash_count);
    return b;
  }

  std::vector<IndexEntry> index() const override {
    std::vector<IndexEntry> out;
    out.reserve(meta_.index.size());
    for (size_t i = 0; i < meta_.index.size(); ++i) {
      const BlockHandle h = meta_.index.handle(i);
      out.push_back({std::string(meta_.index.last_key(i)), h.offset, h.size});
    }
    return out;
  }

  Status Verify() const override;

  const std::string& path() const override { return path_; }

  size_t MemoryUsage() const override {
    return meta_.index.MemoryUsage() + (meta_.filter ? meta_.filter->MemoryUsage() : 0);
  }

  const TableMeta& meta() const { return meta_; }

  // Data block i's checked raw bytes: from the cache when it holds them (*pinned keeps them),
  // else read into *buffer (or the file's memory) and, when compressed, decompressed into
  // *uncompressed. Scans do not fill the cache, so a long scan does not push out the blocks that
  // lookups keep hot.
  Result<std::string_view> ReadDataBlock(size_t i, std::string* buffer, std::string* uncompressed,
                                         std::shared_ptr<const std::string>* pinned) const {
    const BlockHandle h = meta_.index.handle(i);
    if (cache_) {
      *pinned = cache_->Peek(cache_id_, h.offset);
      if (*pinned) return std::string_view(**pinned);
    }
    if (buffer->size() < h.size + kBlockTrailerBytes) buffer->resize(h.size + kBlockTrailerBytes);
    return ReadBlock(*file_, path_, h, BlockType::kData, buffer->data(), uncompressed);
  }

 private:
  const std::string path_;
  const std::unique_ptr<RandomAccessFile> file_;
  const TableMeta meta_;
  const std::shared_ptr<BlockCache> cache_;
  const uint64_t cache_id_;    // this reader's half of the cache keys
  const size_t pinned_bytes_;  // index and filter, held as long as the reader, charged to cache_
};

bool TableIterator::LoadBlock(size_t i) {
  block_index_ = i;
  auto contents = table_->ReadDataBlock(i, &buffer_, &uncompressed_, &pinned_);
  if (!contents.ok()) {
    status_ = contents.status();
    return false;
  }
  status_ = block_.Init(*contents, table_->path(), table_->meta().index.handle(i).offset);
  return status_.ok();
}

void TableIterator::SkipToNextBlock() {
  const TableIndex& index = table_->meta().index;
  while (status_.ok() && !block_.Valid() && block_.status().ok()) {
    // The index promised this block's last key; a block that disagrees would misdirect Seek.
    if (block_.last_key_seen() != index.last_key(block_index_)) {
      status_ = TableCorruption(table_->path(), index.handle(block_index_).offset,
                                "data block's last key differs from its index entry");
      return;
    }
    if (block_index_ + 1 >= index.size()) return;
    if (!LoadBlock(block_index_ + 1)) return;
    block_.SeekToFirst();
    if (block_.Valid() && block_.key() <= index.last_key(block_index_ - 1)) {
      status_ = TableCorruption(table_->path(), index.handle(block_index_).offset,
                                "data block's first key is not above the previous block's");
      return;
    }
  }
}

void TableIterator::SeekToFirst() {
  status_ = Status::Ok();
  if (table_->meta().index.size() == 0) {
    block_.Clear();
    return;
  }
  if (!LoadBlock(0)) return;
  block_.SeekToFirst();
  SkipToNextBlock();
}

void TableIterator::Seek(std::string_view target) {
  status_ = Status::Ok();
  const size_t i = table_->meta().index.Find(target);
  if (i == table_->meta().index.size()) {
    block_.Clear();
    return;
  }
  if (!LoadBlock(i)) return;
  block_.Seek(target);
  SkipToNextBlock();
}

void TableIterator::Next() {
  block_.Next();
  SkipToNextBlock();
}

Status TableReaderImpl::Verify() const {
  // Re-read every meta block from disk, then walk every data block and check what the meta
  // blocks say about them: counts, key and sequence range, and that the filter knows every key.
  KV_ASSIGN_OR_RETURN(TableMeta fresh, LoadMeta(*file_, path_));
  (void)fresh;
  const TableProperties& p = meta_.props;
  TableIterator it(std::static_pointer_cast<const TableReaderImpl>(shared_from_this()));
  uint64_t entries = 0, tombstones = 0;
  SequenceNumber min_seq = 0, max_seq = 0;
  std::string first_key, last_key;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const EntryView e = it.entry();
    if (entries == 0) {
      first_key = e.key;
      min_seq = max_seq = e.seq;
    }
    min_seq = std::min(min_seq, e.seq);
    max_seq = std::max(max_seq, e.seq);
    ++entries;
    if (e.kind == EntryKind::kTombstone) ++tombstones;
    if (meta_.filter && !meta_.filter->MayContain(e.key))
      return TableCorruption(path_, meta_.footer.filter.offset,
                             "the bloom filter does not know a key the table holds");
  }
  KV_RETURN_IF_ERROR(it.status());
  if (entries != p.entries || tombstones != p.tombstones ||
      (entries > 0 &&
       (first_key != p.smallest_key || min_seq != p.smallest_seq || max_seq != p.largest_seq)))
    return TableCorruption(
        path_, meta_.footer.properties.offset,
        fmt::format("properties say {} entries ({} tombstones) but the data blocks hold {} ({})",
                    p.entries, p.tombstones, entries, tombstones));
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<TableReader>> TableReader::Open(Env* env, const std::string& path,
                                                       const TableReadOptions& options) {
  KV_ASSIGN_OR_RETURN(auto file, options.map_file ? env->NewRandomAccessFile(path)
                                                  : env->NewUnmappedRandomAccessFile(path));
  KV_ASSIGN_OR_RETURN(TableMeta meta, LoadMeta(*file, path));
  return std::shared_ptr<TableReader>(std::make_shared<TableReaderImpl>(
      path, std::move(file), std::move(meta), options.block_cache));
}

}  // namespace kv
