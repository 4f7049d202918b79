// Damaged tables: every answer is a Corruption error naming the file and offset, or the right
// answer; never a wrong value, never a crash (these run under ASan/UBSan in CI).
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

#include <fmt/format.h>

#include "libkv/base/checksum.h"
#include "libkv/base/coding.h"
#include "libkv/storage/block_cache.h"
#include "libkv/storage/block_codec.h"
#include "libkv/storage/sstable.h"
#include "libkv/storage/sstable_format.h"
#include "libkv/storage/table_meta.h"
#include "tests/storage/table_test_model.h"

namespace kv {
namespace {

using testing::TableModel;

void WriteBytes(Env* env, const std::string& path, std::string_view bytes) {
  auto f = env->NewWritableFile(path);
  REQUIRE(f.ok());
  REQUIRE((*f)->Append(bytes).ok());
  REQUIRE((*f)->Close().ok());
}

void CheckIsCorruption(const Status& s, const std::string& path) {
  REQUIRE_MESSAGE(s.Is(ErrorCode::kCorruption), s.ToString());
  CHECK(s.message().find(path) != std::string::npos);
  CHECK(s.message().find("offset") != std::string::npos);
}

struct Outcome {
  bool open_failed = false;
  bool any_error = false;
};

// Opens `path` and checks every operation against the model: right answer or Corruption.
// When `strict` is false (checksums were recomputed over damaged bytes, so wrong values cannot be
// detected), only checks that nothing crashes and that errors are Corruption.
Outcome Exercise(Env* env, const std::string& path, const TableModel& model, bool strict,
                 bool with_cache = false) {
  Outcome out;
  auto reader = TableReader::Open(env, path);
  if (!reader.ok()) {
    CheckIsCorruption(reader.status(), path);
    out.open_failed = out.any_error = true;
    return out;
  }
  const TableReader& t = **reader;
  // Through a block cache too: a block that failed its checks must never be cached.
  auto cached =
      TableReader::Open(env, path, TableReadOptions{std::make_shared<BlockCache>(1 << 20)});
  REQUIRE(cached.ok());
  for (const auto& [key, want] : model) {
    if (!with_cache) break;
    for (int pass = 0; pass < 2; ++pass) {
      auto got = (*cached)->Get(key);
      if (!got.ok()) {
        CheckIsCorruption(got.status(), path);
        continue;
      }
      if (strict) REQUIRE(got->value == want.value);
    }
  }
  for (const auto& [key, want] : model) {
    auto got = t.Get(key);
    if (!got.ok()) {
      CheckIsCorruption(got.status(), path);
      out.any_error = true;
      continue;
    }
    if (!strict) continue;
    REQUIRE(got->outcome == TableLookup::Outcome::kFound);
    REQUIRE(got->seq == want.seq);
    REQUIRE(got->kind == want.kind);
    REQUIRE(got->value == want.value);
  }
  for (const char* absent : {"", "\x01", "m~absent", "\xff\xff"}) {
    auto got = t.Get(absent);
    if (!got.ok()) {
      CheckIsCorruption(got.status(), path);
      out.any_error = true;
    } else if (strict && !model.count(absent)) {
      REQUIRE(got->outcome == TableLookup::Outcome::kAbsent);
    }
  }
  auto it = t.NewIterator();
  auto want = model.begin();
  size_t steps = 0;
  for (it->SeekToFirst(); it->Valid() && steps <= model.size(); it->Next(), ++steps) {
    if (!strict) continue;
    REQUIRE(want != model.end());
    REQUIRE(it->entry().key == want->first);
    REQUIRE(it->entry().value == want->second.value);
    REQUIRE(it->entry().seq == want->second.seq);
    ++want;
  }
  if (!it->status().ok()) {
    CheckIsCorruption(it->status(), path);
    out.any_error = true;
  } else if (strict) {
    REQUIRE(want == model.end());
  }
  it->Seek(model.begin()->first);
  if (!it->status().ok()) CheckIsCorruption(it->status(), path);
  const Status v = t.Verify();
  if (!v.ok()) {
    CheckIsCorruption(v, path);
    out.any_error = true;
  }
  if (strict) REQUIRE_MESSAGE(!v.ok(), "Verify missed damage");
  return out;
}

struct SmallTable {
  std::unique_ptr<Env> env = NewMemEnv();
  TableModel model = testing::RandomModel(99, 40, false, /*max_value_bytes=*/20);
  std::string path = "/db/000042.sst";
  std::string bytes;
  // Random values barely compress: most blocks are stored raw whatever the codec.
  explicit SmallTable(BlockCodec codec = BlockCodec::kNone) {
    TableOptions o;
    o.block_bytes = 100;  // several data blocks
    o.restart_interval = 3;
    o.compression = codec;
    REQUIRE(testing::BuildTable(env.get(), path, model, o).ok());
    bytes = *env->ReadFileToString(path);
  }
};

// Values that compress well, so every data block is stored compressed under `codec`.
struct SmallCompressedTable : SmallTable {
  explicit SmallCompressedTable(BlockCodec codec) {
    model = testing::TextModel(7, 40);
    TableOptions o;
    o.block_bytes = 300;
    o.restart_interval = 3;
    o.compression = codec;
    auto props = testing::BuildTable(env.get(), path, model, o);
    REQUIRE(props.ok());
    REQUIRE(props->data_blocks > 2);
    // The last block may be too short to save an eighth; the first ones all compress.
    REQUIRE(props->compressed_blocks + 1 >= props->data_blocks);
    bytes = *env->ReadFileToString(path);
  }
};

TEST_CASE("sstable corruption: every flipped byte is caught or harmless — Verify catches all") {
  SmallTable t;
  MESSAGE("table of " << t.bytes.size() << " bytes, " << t.model.size() << " entries, seed 99");
  int open_failed = 0;
  for (size_t i = 0; i < t.bytes.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80}) {
      std::string bad = t.bytes;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      WriteBytes(t.env.get(), t.path, bad);
      open_failed +=
          Exercise(t.env.get(), t.path, t.model, /*strict=*/true, /*with_cache=*/mask == 0x80)
              .open_failed;
    }
  }
  MESSAGE(open_failed << " of " << 2 * t.bytes.size() << " damaged files failed at Open");
}

TEST_CASE("sstable corruption: every flipped byte of an lz4 or zstd table is caught") {
  for (BlockCodec codec : {BlockCodec::kLz4, BlockCodec::kZstd}) {
    SmallCompressedTable t(codec);
    MESSAGE(BlockCodecName(codec) << " table of " << t.bytes.size() << " bytes");
    for (size_t i = 0; i < t.bytes.size(); ++i) {
      std::string bad = t.bytes;
      bad[i] = static_cast<char>(bad[i] ^ (i % 2 == 0 ? 0x01 : 0x80));
      WriteBytes(t.env.get(), t.path, bad);
      Exercise(t.env.get(), t.path, t.model, /*strict=*/true, /*with_cache=*/i % 3 == 0);
    }
  }
}

TEST_CASE("sstable corruption: every truncation fails at Open") {
  SmallTable t;
  for (size_t len = 0; len < t.bytes.size(); ++len) {
    WriteBytes(t.env.get(), t.path, std::string_view(t.bytes).substr(0, len));
    auto reader = TableReader::Open(t.env.get(), t.path);
    REQUIRE(!reader.ok());
    CheckIsCorruption(reader.status(), t.path);
  }
  // Garbage appended is caught too (the footer is no longer at the end).
  WriteBytes(t.env.get(), t.path, t.bytes + "x");
  CheckIsCorruption(TableReader::Open(t.env.get(), t.path).status(), t.path);
}

TEST_CASE("sstable corruption: a large table, sampled flips and truncations") {
  const uint64_t seed = 4242;
  MESSAGE("seed " << seed);
  auto env = NewMemEnv();
  const TableModel model = testing::RandomModel(seed, 1000, false);
  const std::string path = "/db/big.sst";
  REQUIRE(testing::BuildTable(env.get(), path, model).ok());
  const std::string bytes = *env->ReadFileToString(path);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 30; ++i) {
    std::string bad = bytes;
    const size_t at = i < 10 ? bytes.size() - 1 - rng() % 200 : rng() % bytes.size();
    bad[at] = static_cast<char>(bad[at] ^ (1 << (rng() % 8)));
    WriteBytes(env.get(), path, bad);
    Exercise(env.get(), path, model, /*strict=*/true);
  }
  for (int i = 0; i < 200; ++i) {
    WriteBytes(env.get(), path, std::string_view(bytes).substr(0, rng() % bytes.size()));
    CheckIsCorruption(TableReader::Open(env.get(), path).status(), path);
  }
}

// Re-seals every block's checksum after damaging it, so only the format checks stand between
// the bytes and a crash.
// Compressed blocks too: bytes no codec wrote, under a valid checksum, decode to an error or to
// bytes the block checks then judge.
void ExerciseResealedBlocks(SmallTable& t) {
  auto reader = TableReader::Open(t.env.get(), t.path);
  REQUIRE(reader.ok());
  std::vector<std::pair<uint64_t, uint64_t>> blocks;  // offset, size
  for (const IndexEntry& e : (*reader)->index()) blocks.emplace_back(e.offset, e.size);
  const std::string footer_bytes = t.bytes.substr(t.bytes.size() - kFooterBytes);
  std::string error;
  size_t error_at = 0;
  auto footer = DecodeFooter(footer_bytes, &error, &error_at);
  REQUIRE(footer.has_value());
  for (const BlockHandle& h : {footer->filter, footer->properties, footer->index})
    blocks.emplace_back(h.offset, h.size);
  reader = Result<std::shared_ptr<TableReader>>(Status::Corruption("released"));

  int errors = 0, runs = 0;
  for (const auto& [offset, size] : blocks) {
    for (uint64_t i = offset; i < offset + size; ++i) {
      for (int delta : {1, 0x80}) {
        std::string bad = t.bytes;
        bad[i] = static_cast<char>(bad[i] + delta);
        const std::string_view contents = std::string_view(bad).substr(offset, size);
        char* trailer = bad.data() + offset + size;
        const uint32_t crc = Crc32c(std::string_view(trailer, 2), Crc32c(contents));
        EncodeFixed32(trailer + 2, MaskCrc(crc));
        WriteBytes(t.env.get(), t.path, bad);
        errors += Exercise(t.env.get(), t.path, t.model, /*strict=*/false).any_error;
        ++runs;
      }
    }
  }
  MESSAGE(errors << " of " << runs << " re-sealed damaged tables reported corruption");
}

TEST_CASE("sstable corruption: checksummed but malformed blocks never crash") {
  SmallTable raw;
  ExerciseResealedBlocks(raw);
  SmallCompressedTable lz4(BlockCodec::kLz4);
  ExerciseResealedBlocks(lz4);
  SmallCompressedTable zstd(BlockCodec::kZstd);
  ExerciseResealedBlocks(zstd);
}

// Rewrites data block `i` of `t` as `stored` under `codec` with a valid checksum; the block
// keeps its size, so the rest of the file stays where the index says.
std::string Reseal(const SmallTable& t, size_t i, std::string_view stored, uint8_t codec) {
  auto reader = TableReader::Open(t.env.get(), t.path);
  REQUIRE(reader.ok());
  const IndexEntry e = (*reader)->index().at(i);
  REQUIRE(stored.size() == e.size);
  std::string bad = t.bytes;
  bad.replace(e.offset, e.size, stored);
  char* trailer = bad.data() + e.offset + e.size;
  trailer[1] = static_cast<char>(codec);
  const uint32_t crc = Crc32c(std::string_view(trailer, 2), Crc32c(stored));
  EncodeFixed32(trailer + 2, MaskCrc(crc));
  return bad;
}

TEST_CASE("sstable corruption: a compressed block that does not decode is a clear error") {
  for (BlockCodec codec : {BlockCodec::kLz4, BlockCodec::kZstd}) {
    SmallCompressedTable t(codec);
    auto reader = TableReader::Open(t.env.get(), t.path);
    REQUIRE(reader.ok());
    const IndexEntry first = (*reader)->index().at(0);
    const std::string stored = t.bytes.substr(first.offset, first.size);
    std::string_view in = stored;
    uint32_t raw_bytes = 0;
    REQUIRE(GetVarint32(&in, &raw_bytes));
    const size_t header = stored.size() - in.size();

    std::vector<std::pair<std::string, std::string>> cases;    // name, block bytes
    for (uint32_t claimed : {raw_bytes - 1, raw_bytes + 1}) {  // raw length off by one
      std::string wrong_length;
      PutVarint32(&wrong_length, claimed);
      REQUIRE(wrong_length.size() == header);
      wrong_length.append(in);
      cases.emplace_back(fmt::format("length {} for {}", claimed, raw_bytes), wrong_length);
    }
    std::string garbage = stored;
    std::fill(garbage.begin() + static_cast<std::ptrdiff_t>(header), garbage.end(), '\xff');
    cases.emplace_back("garbage payload", garbage);
    std::string zeros = stored;
    std::fill(zeros.begin() + static_cast<std::ptrdiff_t>(header), zeros.end(), '\0');
    cases.emplace_back("zero payload", zeros);
    std::string huge = stored;
    huge.replace(0, header, std::string(header, '\xff'));  // an endless varint, or a huge length
    cases.emplace_back("huge length", huge);
    for (const auto& [name, block] : cases) {
      CAPTURE(name);
      const std::string bad = Reseal(t, 0, block, static_cast<uint8_t>(codec));
      WriteBytes(t.env.get(), t.path, bad);
      auto damaged = TableReader::Open(t.env.get(), t.path);
      REQUIRE(damaged.ok());  // data blocks are read on demand
      auto got = (*damaged)->Get(t.model.begin()->first);
      REQUIRE(!got.ok());
      CheckIsCorruption(got.status(), t.path);
      MESSAGE(got.status().ToString());
      CHECK(got.status().message().find(std::string(BlockCodecName(codec))) != std::string::npos);
      auto it = (*damaged)->NewIterator();
      it->SeekToFirst();
      CHECK(!it->Valid());
      CheckIsCorruption(it->status(), t.path);
      CheckIsCorruption((*damaged)->Verify(), t.path);
    }
    // A codec number this kv does not know, and a raw block marked compressed.
    for (uint8_t codec_byte : {uint8_t{3}, uint8_t{200}}) {
      WriteBytes(t.env.get(), t.path, Reseal(t, 0, stored, codec_byte));
      auto damaged = TableReader::Open(t.env.get(), t.path);
      REQUIRE(damaged.ok());
      auto got = (*damaged)->Get(t.model.begin()->first);
      REQUIRE(!got.ok());
      CheckIsCorruption(got.status(), t.path);
      CHECK(got.status().message().find("unknown block codec") != std::string::npos);
    }
  }
}

TEST_CASE("sstable corruption: footers with a valid checksum but impossible handles or version") {
  SmallTable t;
  const std::string body = t.bytes.substr(0, t.bytes.size() - kFooterBytes);
  std::string error;
  size_t error_at = 0;
  const TableFooter good =
      *DecodeFooter(std::string_view(t.bytes).substr(body.size()), &error, &error_at);
  std::vector<TableFooter> bad_footers;
  for (uint64_t v : {uint64_t{1}, uint64_t{1} << 40, ~uint64_t{0}, ~uint64_t{0} - 5}) {
    TableFooter f = good;
    f.index.offset = v;
    bad_footers.push_back(f);
    f = good;
    f.index.size = v;
    bad_footers.push_back(f);
    f = good;
    f.filter.size = v;
    bad_footers.push_back(f);
    f = good;
    f.properties.offset += v;
    bad_footers.push_back(f);
  }
  TableFooter newer = good;
  newer.version = kTableFormatVersion + 1;
  bad_footers.push_back(newer);
  TableFooter older = good;
  older.version = kOldestReadableTableFormatVersion - 1;
  bad_footers.push_back(older);
  for (const TableFooter& f : bad_footers) {
    WriteBytes(t.env.get(), t.path, body + EncodeFooter(f));
    auto reader = TableReader::Open(t.env.get(), t.path);
    REQUIRE(!reader.ok());
    CheckIsCorruption(reader.status(), t.path);
  }
  WriteBytes(t.env.get(), t.path, body + EncodeFooter(newer));
  CHECK(TableReader::Open(t.env.get(), t.path)
            .status()
            .message()
            .find(fmt::format("format version {}; this kv reads versions 1 to {}",
                              kTableFormatVersion + 1, kTableFormatVersion)) != std::string::npos);
}

}  // namespace
}  // namespace kv
