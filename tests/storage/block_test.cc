#include <doctest/doctest.h>

#include <map>
#include <string>

#include "libkv/storage/block_builder.h"
#include "libkv/storage/block_reader.h"
#include "tests/storage/table_test_model.h"

namespace kv {
namespace {

using testing::ModelEntry;
using testing::TableModel;

std::string BuildBlock(const TableModel& model, int restart_interval) {
  BlockBuilder b(restart_interval);
  for (const auto& [k, e] : model) b.Add(EntryView{k, e.seq, e.kind, e.value});
  return std::string(b.Finish());
}

TEST_CASE("block: round trip, walk and seek, for several restart intervals") {
  const uint64_t seed = 42;
  MESSAGE("seed " << seed);
  const TableModel model = testing::RandomModel(seed, 300, /*with_huge_keys=*/false);
  for (int interval : {1, 2, 16, 1000}) {
    const std::string block = BuildBlock(model, interval);
    BlockReader r;
    REQUIRE(r.Init(block, "test", 0).ok());
    auto want = model.begin();
    for (r.SeekToFirst(); r.Valid(); r.Next(), ++want) {
      REQUIRE(want != model.end());
      const EntryView e = r.entry();
      CHECK(e.key == want->first);
      CHECK(e.seq == want->second.seq);
      CHECK(e.kind == want->second.kind);
      CHECK(e.value == want->second.value);
    }
    CHECK(r.status().ok());
    CHECK(want == model.end());

    for (const auto& [k, e] : model) {
      r.Seek(k);
      REQUIRE(r.Valid());
      CHECK(r.key() == k);
      CHECK(r.entry().seq == e.seq);
      // Just past k: the next key of the model, or the end.
      std::string after = k + '\0';
      r.Seek(after);
      auto next = model.upper_bound(k);
      if (next == model.end()) {
        CHECK(!r.Valid());
      } else {
        REQUIRE(r.Valid());
        CHECK(r.key() == next->first);
      }
    }
    r.Seek("");
    REQUIRE(r.Valid());
    CHECK(r.key() == model.begin()->first);
  }
}

TEST_CASE("block: shared prefixes are compressed") {
  TableModel model;
  for (int i = 0; i < 100; ++i)
    model["a-long-common-prefix-" + std::to_string(1000 + i)] =
        ModelEntry{1, EntryKind::kValue, ""};
  const std::string compressed = BuildBlock(model, 16);
  const std::string uncompressed = BuildBlock(model, 1);
  CHECK(compressed.size() < uncompressed.size() / 2);
}

TEST_CASE("block: malformed restart arrays are corruption, not a crash") {
  BlockReader r;
  CHECK(r.Init("", "f.sst", 100).Is(ErrorCode::kCorruption));
  CHECK(r.Init(std::string("\0\0\0\0", 4), "f.sst", 100).Is(ErrorCode::kCorruption));
  const Status s = r.Init(std::string("\xff\xff\xff\x7f", 4), "f.sst", 100);
  CHECK(s.Is(ErrorCode::kCorruption));
  CHECK(s.message().find("f.sst") != std::string::npos);
  CHECK(s.message().find("offset 100") != std::string::npos);
}

TEST_CASE("block: every single-byte change either fails or decodes to the model") {
  // Blocks carry no checksum of their own (the trailer does), so this checks bounds only: any
  // bytes decode without a crash, and an error names the file.
  TableModel model = testing::RandomModel(7, 20, false);
  const std::string block = BuildBlock(model, 4);
  for (size_t i = 0; i < block.size(); ++i) {
    for (int delta : {1, 0x80}) {
      std::string bad = block;
      bad[i] = static_cast<char>(bad[i] + delta);
      BlockReader r;
      if (!r.Init(bad, "f.sst", 0).ok()) continue;
      size_t n = 0;
      for (r.SeekToFirst(); r.Valid() && n < 1000; r.Next()) ++n;
      r.Seek(model.begin()->first);
      if (!r.status().ok()) CHECK(r.status().message().find("f.sst") != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace kv
