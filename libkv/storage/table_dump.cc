#include "libkv/storage/table_dump.h"

#include <fmt/format.h>

#include "libkv/base/coding.h"
#include "libkv/base/json.h"
#include "libkv/storage/block_codec.h"
#include "libkv/storage/sstable.h"
#include "libkv/storage/sstable_format.h"

namespace kv {
namespace {

// Collects output and hands it to the stream in large pieces.
class Output {
 public:
  explicit Output(std::ostream& out) : out_(out) {}
  ~Output() { Flush(); }
  std::string* buf() { return &buf_; }
  void MaybeFlush() {
    if (buf_.size() >= 64 * 1024) Flush();
  }
  void Flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

 private:
  std::ostream& out_;
  std::string buf_;
};

// Raw over stored data bytes; 1 when unknown (a format-version-1 table records no sizes).
double CompressionRatio(const TableProperties& p) {
  if (p.data_stored_bytes == 0) return 1;
  return static_cast<double>(p.data_raw_bytes) / static_cast<double>(p.data_stored_bytes);
}

void AppendJsonError(std::string* o, const Status& s) {
  o->append(",\"error\":{\"code\":");
  AppendJsonString(o, ErrorCodeName(s.code()));
  o->append(",\"message\":");
  // Messages quote file names, which may hold any bytes.
  AppendJsonString(o, IsValidUtf8(s.message()) ? s.message() : QuoteBytes(s.message()));
  o->push_back('}');
}

// Whether the file ends in the SSTable magic number; false when it cannot be read.
bool EndsInTableMagic(Env* env, const std::string& path) {
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok() || (*file)->Size() < sizeof(kTableMagic)) return false;
  char scratch[sizeof(kTableMagic)];
  auto read = (*file)->Read((*file)->Size() - sizeof(kTableMagic), sizeof scratch, scratch);
  return read.ok() && read->size() == sizeof(kTableMagic) &&
         DecodeFixed64(read->data()) == kTableMagic;
}

// TableReader::Open, with a file that is plainly not a kv table (no magic number at its end, and
// not named like a table) told apart from a damaged table: /etc/passwd is not "damaged".
Result<std::shared_ptr<TableReader>> OpenTable(Env* env, const std::string& path) {
  auto opened = TableReader::Open(env, path);
  if (opened.ok() || !opened.status().Is(ErrorCode::kCorruption)) return opened;
  const bool named_as_table = path.size() >= 4 && path.compare(path.size() - 4, 4, ".sst") == 0;
  if (!named_as_table && !EndsInTableMagic(env, path))
    return Status::InvalidArgument(
        fmt::format("{} is not a kv table: it does not end in the SSTable magic number "
                    "(kvsstdump reads the *.sst files of a kv data directory)",
                    path));
  return opened;
}

Status DumpJson(Env* env, const std::string& path, const TableDumpOptions& options, Output& out) {
  std::string* o = out.buf();
  o->append("{");
  AppendJsonBytesMember(o, "file", path);
  auto opened = OpenTable(env, path);
  if (!opened.ok()) {
    AppendJsonError(o, opened.status());
    o->append("}\n");
    return opened.status();
  }
  const TableReader& t = **opened;
  const TableProperties& p = t.properties();
  o->append(fmt::format(",\"properties\":{{\"entries\":{},\"tombstones\":{},\"file_bytes\":{},",
                        p.entries, p.tombstones, p.file_bytes));
  AppendJsonBytesMember(o, "smallest_key", p.smallest_key);
  o->push_back(',');
  AppendJsonBytesMember(o, "largest_key", p.largest_key);
  o->append(
      fmt::format(",\"smallest_seq\":{},\"largest_seq\":{},\"compression\":\"{}\","
                  "\"data_blocks\":{},\"compressed_blocks\":{},\"data_raw_bytes\":{},"
                  "\"data_stored_bytes\":{},\"compression_ratio\":{:.3f}}}",
                  p.smallest_seq, p.largest_seq, BlockCodecName(p.compression), p.data_blocks,
                  p.compressed_blocks, p.data_raw_bytes, p.data_stored_bytes, CompressionRatio(p)));

  Status status;
  uint64_t engine_tombstones = 0;
  if (options.index) {
    o->append(",\"index\":[");
    bool first = true;
    for (const IndexEntry& e : t.index()) {
      o->append(first ? "\n{" : ",\n{");
      first = false;
      AppendJsonBytesMember(o, "last_key", e.last_key);
      o->append(fmt::format(",\"offset\":{},\"size\":{}}}", e.offset, e.size));
      out.MaybeFlush();
    }
    o->append("]");
  }
  if (options.bloom) {
    const BloomInfo b = t.bloom();
    o->append(
        fmt::format(",\"bloom\":{{\"bits\":{},\"hash_count\":{},\"keys\":{},\"expected_false_"
                    "positive_rate\":{}}}",
                    b.bits, b.hash_count, b.keys, b.expected_false_positive_rate));
  }
  if (options.ListsEntries()) {
    o->append(",\"entries\":[");
    auto it = t.NewIterator();
    bool first = true;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const EntryView e = it->entry();
      o->append(first ? "\n{" : ",\n{");
      first = false;
      AppendJsonBytesMember(o, "key", e.key);
      if (!options.keys_only) {
        const bool tombstone = e.kind == EntryKind::kTombstone;
        if (tombstone) {
          ++engine_tombstones;
          o->append(",\"value\":null");
        } else if (options.decoder != nullptr) {
          options.decoder->AppendJson(e.key, e.value, o);
        } else {
          o->push_back(',');
          AppendJsonBytesMember(o, "value", e.value);
        }
        o->append(fmt::format(",\"tombstone\":{},\"seq\":{}", tombstone, e.seq));
      }
      o->push_back('}');
      out.MaybeFlush();
    }
    o->append("]");
    status = it->status();
    if (status.ok() && options.decoder != nullptr && !options.keys_only) {
      o->append(fmt::format(",\"decoded\":{{\"as\":\"{}\",\"engine_tombstones\":{},{}",
                            options.decoder->What(), engine_tombstones,
                            options.decoder->SummaryJson().substr(1)));
    }
  }
  if (options.verify && status.ok()) {
    status = t.Verify();
    o->append(fmt::format(",\"verify\":{{\"ok\":{}}}", status.ok()));
  }
  if (!status.ok()) AppendJsonError(o, status);
  o->append("}\n");
  return status;
}

Status DumpText(Env* env, const std::string& path, const TableDumpOptions& options, Output& out) {
  std::string* o = out.buf();
  KV_ASSIGN_OR_RETURN(auto reader, OpenTable(env, path));
  const TableReader& t = *reader;
  const TableProperties& p = t.properties();
  o->append(fmt::format("{}: {} entries ({} engine tombstones), {} bytes", path, p.entries,
                        p.tombstones, p.file_bytes));
  if (p.entries > 0)
    o->append(fmt::format(", keys {} .. {}, seq {} .. {}", QuoteBytes(p.smallest_key),
                          QuoteBytes(p.largest_key), p.smallest_seq, p.largest_seq));
  o->push_back('\n');
  o->append(
      fmt::format("compression: {}, {} of {} data blocks compressed, {} raw bytes stored in "
                  "{} (ratio {:.2f})\n",
                  BlockCodecName(p.compression), p.compressed_blocks, p.data_blocks,
                  p.data_raw_bytes, p.data_stored_bytes, CompressionRatio(p)));
  if (options.index) {
    const auto index = t.index();
    o->append(fmt::format("index: {} data blocks\n", index.size()));
    for (const IndexEntry& e : index) {
      o->append(fmt::format("  last key {}  offset {}  size {}\n", QuoteBytes(e.last_key), e.offset,
                            e.size));
      out.MaybeFlush();
    }
  }
  if (options.bloom) {
    const BloomInfo b = t.bloom();
    if (b.bits == 0) {
      o->append("bloom: none (written with 0 bits per key)\n");
    } else {
      o->append(fmt::format(
          "bloom: {} bits ({:.1f} per key), {} hashes, {} keys, expected false-positive rate "
          "{:.4f}%\n",
          b.bits, b.keys ? static_cast<double>(b.bits) / static_cast<double>(b.keys) : 0.0,
          b.hash_count, b.keys, b.expected_false_positive_rate * 100));
    }
  }
  TableValueDecoder* decoder = options.keys_only ? nullptr : options.decoder;
  if (decoder != nullptr) o->append(fmt::format("values decoded as {}\n", decoder->What()));
  if (options.ListsEntries()) {
    uint64_t engine_tombstones = 0;
    auto it = t.NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const EntryView e = it->entry();
      o->append(QuoteBytes(e.key));
      if (!options.keys_only) {
        if (e.kind == EntryKind::kTombstone) {
          ++engine_tombstones;
          o->append(fmt::format(" @{} tombstone", e.seq));
          if (decoder != nullptr)
            o->append(" (the engine's: the key was removed, not deleted by a client)");
        } else if (decoder != nullptr) {
          o->append(fmt::format(" @{}\n", e.seq));
          decoder->AppendText(e.key, e.value, o);
          out.MaybeFlush();
          continue;
        } else {
          o->append(fmt::format(" @{} = ", e.seq));
          o->append(QuoteBytes(e.value));
        }
      }
      o->push_back('\n');
      out.MaybeFlush();
    }
    KV_RETURN_IF_ERROR(it->status());
    if (decoder != nullptr) {
      o->append(fmt::format("decoded: {}; {} engine tombstones\n", decoder->SummaryText(),
                            engine_tombstones));
    }
  }
  if (options.verify) {
    KV_RETURN_IF_ERROR(t.Verify());
    o->append(fmt::format("verify: ok, every checksum of {} matches\n", path));
  }
  return Status::Ok();
}

}  // namespace

Status DumpTable(Env* env, const std::string& path, const TableDumpOptions& options,
                 std::ostream& out) {
  Output output(out);
  return options.json ? DumpJson(env, path, options, output) : DumpText(env, path, options, output);
}

}  // namespace kv
