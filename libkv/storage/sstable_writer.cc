// TableWriter: data blocks as entries arrive, then filter, properties, index and footer at Finish
// (docs/formats.md, "SSTable"). Errors are sticky: after one, every call returns it.
#include <fmt/format.h>

#include "libkv/base/limits.h"
#include "libkv/storage/block_builder.h"
#include "libkv/storage/block_codec.h"
#include "libkv/storage/bloom_filter.h"
#include "libkv/storage/sstable.h"
#include "libkv/storage/table_index.h"
#include "libkv/storage/table_meta.h"

namespace kv {
namespace {

class TableWriterImpl final : public TableWriter {
 public:
  TableWriterImpl(std::string path, std::unique_ptr<WritableFile> file, const TableOptions& options)
      : path_(std::move(path)),
        file_(std::move(file)),
        options_(options),
        block_(options.restart_interval),
        bloom_(options.bloom_bits_per_key) {
    props_.compression = options.compression;
  }

  Status Add(const EntryView& entry) override {
    KV_RETURN_IF_ERROR(status_);
    if (finished_) return Status::InvalidArgument(fmt::format("{}: Add after Finish", path_));
    const std::string_view value =
        entry.kind == EntryKind::kTombstone ? std::string_view() : entry.value;
    KV_RETURN_IF_ERROR(CheckKeyAndStoredValue(entry.key, value).WithContext(path_));
    if (entry.kind != EntryKind::kValue && entry.kind != EntryKind::kTombstone)
      return Status::InvalidArgument(fmt::format("{}: unknown entry kind", path_));
    if (props_.entries > 0 && entry.key <= std::string_view(props_.largest_key))
      return Status::InvalidArgument(
          fmt::format("{}: keys must be added in strictly ascending order", path_));

    if (props_.entries == 0) {
      props_.smallest_key = entry.key;
      props_.smallest_seq = props_.largest_seq = entry.seq;
    }
    props_.largest_key = entry.key;
    props_.smallest_seq = std::min(props_.smallest_seq, entry.seq);
    props_.largest_seq = std::max(props_.largest_seq, entry.seq);
    ++props_.entries;
    if (entry.kind == EntryKind::kTombstone) ++props_.tombstones;
    if (options_.bloom_bits_per_key > 0) bloom_.AddKey(entry.key);

    block_.Add(EntryView{entry.key, entry.seq, entry.kind, value});
    if (block_.SizeEstimate() >= options_.block_bytes) return FlushDataBlock();
    return Status::Ok();
  }

  Result<TableProperties> Finish() override {
    KV_RETURN_IF_ERROR(status_);
    if (finished_) return Status::InvalidArgument(fmt::format("{}: Finish called twice", path_));
    finished_ = true;
    KV_RETURN_IF_ERROR(FlushDataBlock());
    TableFooter footer;
    if (options_.bloom_bits_per_key > 0) {
      KV_ASSIGN_OR_RETURN(footer.filter, WriteBlock(bloom_.Finish(), BlockType::kFilter));
    }
    KV_ASSIGN_OR_RETURN(footer.properties,
                        WriteBlock(EncodeProperties(props_), BlockType::kProperties));
    KV_ASSIGN_OR_RETURN(footer.index, WriteBlock(index_.Encode(), BlockType::kIndex));
    KV_RETURN_IF_ERROR(Check(file_->Append(EncodeFooter(footer))));
    KV_RETURN_IF_ERROR(Check(file_->Sync()));
    KV_RETURN_IF_ERROR(Check(file_->Close()));
    props_.file_bytes = file_->Size();
    return props_;
  }

  uint64_t FileSize() const override {
    return file_->Size() + (block_.empty() ? 0 : block_.SizeEstimate() + kBlockTrailerBytes);
  }

 private:
  Status Check(Status s) {
    if (!s.ok() && status_.ok()) status_ = s.WithContext(fmt::format("writing {}", path_));
    return status_;
  }

  Result<BlockHandle> WriteBlock(std::string_view contents, BlockType type,
                                 BlockCodec codec = BlockCodec::kNone) {
    BlockHandle h{file_->Size(), contents.size()};
    KV_RETURN_IF_ERROR(Check(file_->Append(contents)));
    KV_RETURN_IF_ERROR(Check(file_->Append(MakeBlockTrailer(contents, type, codec))));
    return h;
  }

  Status FlushDataBlock() {
    if (block_.empty()) return Status::Ok();
    const std::string_view raw = block_.Finish();
    std::string_view stored = raw;
    BlockCodec codec = BlockCodec::kNone;
    if (options_.compression != BlockCodec::kNone) {
      compressed_ = CompressBlock(options_.compression, raw);
      if (compressed_.size() <= raw.size() - (raw.size() >> kMinCompressionSavingShift)) {
        stored = compressed_;
        codec = options_.compression;
        ++props_.compressed_blocks;
      }
    }
    ++props_.data_blocks;
    props_.data_raw_bytes += raw.size();
    props_.data_stored_bytes += stored.size();
    KV_ASSIGN_OR_RETURN(BlockHandle h, WriteBlock(stored, BlockType::kData, codec));
    index_.Append(block_.last_key(), h);
    block_.Reset();
    return Status::Ok();
  }

  const std::string path_;
  std::unique_ptr<WritableFile> file_;
  const TableOptions options_;
  BlockBuilder block_;
  BloomFilterBuilder bloom_;
  TableIndex index_;
  TableProperties props_;
  std::string compressed_;  // the last data block's compressed form, reused
  Status status_;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<TableWriter>> TableWriter::Create(Env* env, const std::string& path,
                                                         const TableOptions& options) {
  // Blocks use 32-bit offsets inside; 64 MiB leaves room for one maximal entry past the target.
  if (options.block_bytes == 0 || options.block_bytes > (64u << 20) ||
      options.bloom_bits_per_key < 0 || options.bloom_bits_per_key > 100 ||
      options.restart_interval < 1 || static_cast<uint8_t>(options.compression) > kMaxBlockCodec)
    return Status::InvalidArgument(
        "table options: block_bytes must be 1 to 64 MiB, restart_interval positive, "
        "bloom_bits_per_key 0 to 100, compression a known codec");
  KV_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path));
  return std::unique_ptr<TableWriter>(
      std::make_unique<TableWriterImpl>(path, std::move(file), options));
}

}  // namespace kv
