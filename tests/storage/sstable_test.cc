#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "libkv/storage/sstable.h"
#include "tests/storage/table_test_model.h"

namespace kv {
namespace {

using testing::ModelEntry;
using testing::TableModel;

void CheckIteratorMatches(Iterator* it, const TableModel& model) {
  auto want = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
    REQUIRE(want != model.end());
    const EntryView e = it->entry();
    REQUIRE(e.key == want->first);
    CHECK(e.seq == want->second.seq);
    CHECK(e.kind == want->second.kind);
    CHECK(e.value == want->second.value);
  }
  CHECK(it->status().ok());
  CHECK(want == model.end());
}

TEST_CASE("sstable: 10k random entries round trip through Get, iterator and Verify") {
  const uint64_t seed = 20261125;
  MESSAGE("seed " << seed);
  auto env = NewMemEnv();
  const TableModel model = testing::RandomModel(seed, 10000);
  size_t huge_keys = 0, tombstones_in_model = 0, empty_values = 0;
  for (const auto& [k, e] : model) {
    huge_keys += k.size() == 64 * 1024;
    tombstones_in_model += e.kind == EntryKind::kTombstone;
    empty_values += e.kind == EntryKind::kValue && e.value.empty();
  }
  MESSAGE(huge_keys << " keys of 64 KiB, " << tombstones_in_model << " tombstones, " << empty_values
                    << " empty values");
  CHECK(huge_keys > 0);
  CHECK(tombstones_in_model > 0);
  CHECK(empty_values > 0);
  auto props = testing::BuildTable(env.get(), "/t/000001.sst", model);
  REQUIRE(props.ok());
  CHECK(props->entries == model.size());
  CHECK(props->smallest_key == model.begin()->first);
  CHECK(props->largest_key == model.rbegin()->first);
  CHECK(props->file_bytes == *env->GetFileSize("/t/000001.sst"));

  auto reader = TableReader::Open(env.get(), "/t/000001.sst");
  REQUIRE(reader.ok());
  const TableReader& t = **reader;
  CHECK(t.properties().entries == model.size());
  CHECK(t.properties().file_bytes == props->file_bytes);
  uint64_t tombstones = 0;
  for (const auto& [k, e] : model) tombstones += e.kind == EntryKind::kTombstone;
  CHECK(t.properties().tombstones == tombstones);
  CHECK(t.Verify().ok());

  for (const auto& [k, e] : model) {
    auto got = t.Get(k);
    REQUIRE(got.ok());
    REQUIRE(got->outcome == TableLookup::Outcome::kFound);
    CHECK(got->seq == e.seq);
    CHECK(got->kind == e.kind);
    CHECK(got->value == e.value);
    CHECK(!got->bloom_skipped);
  }
  std::mt19937_64 rng(seed + 1);
  int absent = 0, skipped = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string k = testing::RandomBytes(rng, 1 + rng() % 24, true) + "~absent";
    if (model.count(k)) continue;
    auto got = t.Get(k);
    REQUIRE(got.ok());
    CHECK(got->outcome == TableLookup::Outcome::kAbsent);
    ++absent;
    skipped += got->bloom_skipped;
  }
  MESSAGE("bloom skipped " << skipped << " of " << absent << " absent-key lookups");
  CHECK(skipped > absent * 9 / 10);

  auto it = t.NewIterator();
  CheckIteratorMatches(it.get(), model);
  CHECK(t.index().size() > 10);
}

TEST_CASE("sstable: iterator Seek lands on the first key >= target and keeps the reader alive") {
  auto env = NewMemEnv();
  TableModel model;
  for (int i = 0; i < 2000; ++i) {
    char k[16];
    snprintf(k, sizeof k, "key%06d", i * 2);
    model[k] = ModelEntry{static_cast<SequenceNumber>(i + 1), EntryKind::kValue, std::to_string(i)};
  }
  TableOptions small;
  small.block_bytes = 256;
  REQUIRE(testing::BuildTable(env.get(), "/t.sst", model, small).ok());
  std::unique_ptr<Iterator> it;
  {
    auto reader = TableReader::Open(env.get(), "/t.sst");
    REQUIRE(reader.ok());
    it = (*reader)->NewIterator();
  }  // the iterator alone keeps the reader
  for (int i = 0; i < 4000; i += 7) {
    char k[16];
    snprintf(k, sizeof k, "key%06d", i);
    it->Seek(k);
    const int want = (i + 1) / 2 * 2;
    if (want >= 4000) {
      CHECK(!it->Valid());
      continue;
    }
    REQUIRE(it->Valid());
    char w[16];
    snprintf(w, sizeof w, "key%06d", want);
    CHECK(it->entry().key == w);
  }
  it->Seek("");
  REQUIRE(it->Valid());
  CHECK(it->entry().key == "key000000");
  it->Seek("zzz");
  CHECK(!it->Valid());
  CHECK(it->status().ok());
  it->Seek("key003998");
  REQUIRE(it->Valid());
  it->Next();
  CHECK(!it->Valid());
  CheckIteratorMatches(it.get(), model);
}

TEST_CASE("sstable: empty table, no filter, tiny blocks, huge values") {
  auto env = NewMemEnv();
  SUBCASE("empty") {
    REQUIRE(testing::BuildTable(env.get(), "/e.sst", {}).ok());
    auto reader = TableReader::Open(env.get(), "/e.sst");
    REQUIRE(reader.ok());
    CHECK((*reader)->properties().entries == 0);
    auto got = (*reader)->Get("a");
    REQUIRE(got.ok());
    CHECK(got->outcome == TableLookup::Outcome::kAbsent);
    auto it = (*reader)->NewIterator();
    it->SeekToFirst();
    CHECK(!it->Valid());
    it->Seek("a");
    CHECK(!it->Valid());
    CHECK((*reader)->Verify().ok());
  }
  SUBCASE("no filter and one entry per block") {
    TableOptions o;
    o.bloom_bits_per_key = 0;
    o.block_bytes = 1;
    o.restart_interval = 1;
    const TableModel model = testing::RandomModel(3, 500, false);
    REQUIRE(testing::BuildTable(env.get(), "/n.sst", model, o).ok());
    auto reader = TableReader::Open(env.get(), "/n.sst");
    REQUIRE(reader.ok());
    CHECK((*reader)->bloom().bits == 0);
    CHECK((*reader)->index().size() == model.size());
    for (const auto& [k, e] : model) {
      auto got = (*reader)->Get(k);
      REQUIRE(got.ok());
      CHECK(got->outcome == TableLookup::Outcome::kFound);
      CHECK(got->value == e.value);
    }
    auto it = (*reader)->NewIterator();
    CheckIteratorMatches(it.get(), model);
    CHECK((*reader)->Verify().ok());
  }
  SUBCASE("a 1 MiB value and a 64 KiB key") {
    TableModel model;
    model[std::string(64 * 1024, 'k')] =
        ModelEntry{5, EntryKind::kValue, std::string(1 << 20, 'v')};
    model["small"] = ModelEntry{6, EntryKind::kTombstone, ""};
    REQUIRE(testing::BuildTable(env.get(), "/h.sst", model).ok());
    auto reader = TableReader::Open(env.get(), "/h.sst");
    REQUIRE(reader.ok());
    auto got = (*reader)->Get(std::string(64 * 1024, 'k'));
    REQUIRE(got.ok());
    CHECK(got->value.size() == (1u << 20));
    got = (*reader)->Get("small");
    REQUIRE(got.ok());
    CHECK(got->kind == EntryKind::kTombstone);
    CHECK((*reader)->Verify().ok());
  }
}

TEST_CASE("sstable: writer rejects out-of-order, empty and oversize keys, and bad options") {
  auto env = NewMemEnv();
  auto w = TableWriter::Create(env.get(), "/w.sst", {});
  REQUIRE(w.ok());
  CHECK((*w)->Add(EntryView{"", 1, EntryKind::kValue, "v"}).Is(ErrorCode::kInvalidArgument));
  CHECK((*w)->Add(EntryView{std::string(64 * 1024 + 1, 'x'), 1, EntryKind::kValue, ""})
            .Is(ErrorCode::kInvalidArgument));
  CHECK((*w)->Add(EntryView{"b", 1, EntryKind::kValue, "v"}).ok());
  CHECK((*w)->Add(EntryView{"b", 2, EntryKind::kValue, "v"}).Is(ErrorCode::kInvalidArgument));
  CHECK((*w)->Add(EntryView{"a", 2, EntryKind::kValue, "v"}).Is(ErrorCode::kInvalidArgument));
  CHECK((*w)->Add(EntryView{"c", 3, EntryKind::kValue, "v"}).ok());
  auto props = (*w)->Finish();
  REQUIRE(props.ok());
  CHECK(props->entries == 2);
  CHECK((*w)->Add(EntryView{"d", 4, EntryKind::kValue, "v"}).Is(ErrorCode::kInvalidArgument));

  TableOptions bad;
  bad.block_bytes = 0;
  CHECK(TableWriter::Create(env.get(), "/x.sst", bad).status().Is(ErrorCode::kInvalidArgument));
  bad = {};
  bad.block_bytes = size_t{1} << 30;
  CHECK(TableWriter::Create(env.get(), "/x.sst", bad).status().Is(ErrorCode::kInvalidArgument));
  bad = {};
  bad.bloom_bits_per_key = -1;
  CHECK(TableWriter::Create(env.get(), "/x.sst", bad).status().Is(ErrorCode::kInvalidArgument));
  bad = {};
  bad.restart_interval = 0;
  CHECK(TableWriter::Create(env.get(), "/x.sst", bad).status().Is(ErrorCode::kInvalidArgument));
}

TEST_CASE("sstable: posix files too, and a missing file is NotFound") {
  const std::string dir = "/tmp/kv_sstable_test_" + std::to_string(::getpid());
  REQUIRE(PosixEnv()->CreateDirs(dir).ok());
  const std::string path = JoinPath(dir, "000007.sst");
  const TableModel model = testing::RandomModel(11, 1000, false);
  REQUIRE(testing::BuildTable(PosixEnv(), path, model).ok());
  auto reader = TableReader::Open(PosixEnv(), path);
  REQUIRE(reader.ok());
  CHECK((*reader)->Verify().ok());
  auto it = (*reader)->NewIterator();
  CheckIteratorMatches(it.get(), model);
  CHECK(PosixEnv()->RemoveFile(path).ok());
  CHECK(TableReader::Open(PosixEnv(), path).status().Is(ErrorCode::kNotFound));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kv
