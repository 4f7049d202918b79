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

// JSON: the object is streamed, since a table's entries may not fit in memory. Its head (file
// and properties) and each member after it are Boost.JSON values serialized one at a time;
// entries and index entries go one per line.

// `,"name":` before a member of the object being streamed.
void AppendMemberName(std::string* o, std::string_view name) {
  o->push_back(',');
  o->append(json::Serialize(boost::json::string(name)));
  o->push_back(':');
}

void AppendJsonError(std::string* o, const Status& s) {
  boost::json::object error;
  error["code"] = ErrorCodeName(s.code());
  // Messages quote file names, which may hold any bytes.
  error["message"] = IsValidUtf8(s.message()) ? s.message() : QuoteBytes(s.message());
  AppendMemberName(o, "error");
  o->append(json::Serialize(error));
}

boost::json::object PropertiesJson(const TableProperties& p) {
  boost::json::object out;
  out["entries"] = p.entries;
  out["tombstones"] = p.tombstones;
  out["file_bytes"] = p.file_bytes;
  json::PutBytes(out, "smallest_key", p.smallest_key);
  json::PutBytes(out, "largest_key", p.largest_key);
  out["smallest_seq"] = p.smallest_seq;
  out["largest_seq"] = p.largest_seq;
  out["compression"] = BlockCodecName(p.compression);
  out["data_blocks"] = p.data_blocks;
  out["compressed_blocks"] = p.compressed_blocks;
  out["data_raw_bytes"] = p.data_raw_bytes;
  out["data_stored_bytes"] = p.data_stored_bytes;
  out["compression_ratio"] = json::Round(CompressionRatio(p), 3);
  return out;
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
  boost::json::object head;
  json::PutBytes(head, "file", path);
  auto opened = OpenTable(env, path);
  if (opened.ok()) head["properties"] = PropertiesJson((*opened)->properties());
  std::string text = json::Serialize(head);
  text.pop_back();  // the closing brace: more members follow
  o->append(text);
  if (!opened.ok()) {
    AppendJsonError(o, opened.status());
    o->append("}\n");
    return opened.status();
  }
  const TableReader& t = **opened;

  Status status;
  uint64_t engine_tombstones = 0;
  if (options.index) {
    AppendMemberName(o, "index");
    o->push_back('[');
    bool first = true;
    for (const IndexEntry& e : t.index()) {
      o->append(first ? "\n" : ",\n");
      first = false;
      boost::json::object entry;
      json::PutBytes(entry, "last_key", e.last_key);
      entry["offset"] = e.offset;
      entry["size"] = e.size;
      o->append(json::Serialize(entry));
      out.MaybeFlush();
    }
    o->push_back(']');
  }
  if (options.bloom) {
    const BloomInfo b = t.bloom();
    boost::json::object bloom;
    bloom["bits"] = b.bits;
    bloom["hash_count"] = b.hash_count;
    bloom["keys"] = b.keys;
    bloom["expected_false_positive_rate"] = b.expected_false_positive_rate;
    AppendMemberName(o, "bloom");
    o->append(json::Serialize(bloom));
  }
  if (options.ListsEntries()) {
    AppendMemberName(o, "entries");
    o->push_back('[');
    auto it = t.NewIterator();
    bool first = true;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const EntryView e = it->entry();
      o->append(first ? "\n" : ",\n");
      first = false;
      boost::json::object entry;
      json::PutBytes(entry, "key", e.key);
      if (!options.keys_only) {
        const bool tombstone = e.kind == EntryKind::kTombstone;
        if (tombstone) {
          ++engine_tombstones;
          entry["value"] = nullptr;
        } else if (options.decoder != nullptr) {
          options.decoder->AddJson(e.key, e.value, entry);
        } else {
          json::PutBytes(entry, "value", e.value);
        }
        entry["tombstone"] = tombstone;
        entry["seq"] = e.seq;
      }
      o->append(json::Serialize(entry));
      out.MaybeFlush();
    }
    o->push_back(']');
    status = it->status();
    if (status.ok() && options.decoder != nullptr && !options.keys_only) {
      boost::json::object decoded;
      decoded["as"] = options.decoder->What();
      decoded["engine_tombstones"] = engine_tombstones;
      for (auto& [name, value] : options.decoder->SummaryJson()) decoded[name] = value;
      AppendMemberName(o, "decoded");
      o->append(json::Serialize(decoded));
    }
  }
  if (options.verify && status.ok()) {
    status = t.Verify();
    AppendMemberName(o, "verify");
    o->append(json::Serialize(boost::json::object{{"ok", status.ok()}}));
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
