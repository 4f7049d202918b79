#include <doctest/doctest.h>

#include <fmt/format.h>

#include <string>

#include "libkv/env/env.h"
#include "libkv/storage/data_dir.h"
#include "libkv/storage/manifest.h"

namespace kv {
namespace {

ManifestState SampleState() {
  ManifestState s;
  s.next_file = 42;
  s.last_sequence = 123456;
  s.log_number = 40;
  for (uint64_t n : {39, 12, 7}) {
    ManifestTable t;
    t.number = n;
    t.level = static_cast<uint32_t>(n % 3);
    t.run = static_cast<uint32_t>(s.tables.size());
    t.props.smallest_key = fmt::format("a{}", n);
    t.props.largest_key = fmt::format("z{}", n);
    t.props.smallest_seq = n;
    t.props.largest_seq = n * 100;
    t.props.file_bytes = n * 4096;
    t.props.entries = n * 10;
    t.props.tombstones = n;
    s.tables.push_back(t);
  }
  return s;
}

void CheckSame(const ManifestState& a, const ManifestState& b) {
  CHECK(a.next_file == b.next_file);
  CHECK(a.last_sequence == b.last_sequence);
  CHECK(a.log_number == b.log_number);
  REQUIRE(a.tables.size() == b.tables.size());
  for (size_t i = 0; i < a.tables.size(); i++) {
    CHECK(a.tables[i].number == b.tables[i].number);
    CHECK(a.tables[i].level == b.tables[i].level);
    CHECK(a.tables[i].run == b.tables[i].run);
    CHECK(a.tables[i].props.smallest_key == b.tables[i].props.smallest_key);
    CHECK(a.tables[i].props.largest_key == b.tables[i].props.largest_key);
    CHECK(a.tables[i].props.smallest_seq == b.tables[i].props.smallest_seq);
    CHECK(a.tables[i].props.largest_seq == b.tables[i].props.largest_seq);
    CHECK(a.tables[i].props.file_bytes == b.tables[i].props.file_bytes);
    CHECK(a.tables[i].props.entries == b.tables[i].props.entries);
    CHECK(a.tables[i].props.tombstones == b.tables[i].props.tombstones);
  }
}

}  // namespace

TEST_CASE("manifest: write and load round trip — the newer file replaces the older") {
  auto env = NewMemEnv();
  auto none = LoadManifest(env.get(), "/db");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  ManifestState s = SampleState();
  REQUIRE(WriteManifest(env.get(), "/db", s, 5, 0).ok());
  s.last_sequence++;
  REQUIRE(WriteManifest(env.get(), "/db", s, 9, 5).ok());
  CHECK_FALSE(env->FileExists(ManifestFileName("/db", 5)));
  auto loaded = LoadManifest(env.get(), "/db");
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->file_number == 9);
  CheckSame((*loaded)->state, s);
}

TEST_CASE("manifest: any damaged byte is Corruption naming the file and an offset") {
  auto env = NewMemEnv();
  const std::string encoded = EncodeManifest(SampleState());
  const std::string path = ManifestFileName("/db", 3);
  for (size_t i = 0; i < encoded.size(); i++) {
    std::string bad = encoded;
    bad[i] ^= 0x01;
    REQUIRE(env->WriteFileAtomically(path, bad).ok());
    auto loaded = LoadManifest(env.get(), "/db");
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().Is(ErrorCode::kCorruption));
    CHECK(loaded.status().message().find(path) != std::string::npos);
    CHECK(loaded.status().message().find("offset") != std::string::npos);
  }
  // Truncated, and the only manifest: also Corruption, never an empty store.
  REQUIRE(env->WriteFileAtomically(path, encoded.substr(0, encoded.size() / 2)).ok());
  CHECK(LoadManifest(env.get(), "/db").status().Is(ErrorCode::kCorruption));
  REQUIRE(env->WriteFileAtomically(path, "").ok());
  CHECK(LoadManifest(env.get(), "/db").status().Is(ErrorCode::kCorruption));
}

TEST_CASE("manifest: an incomplete newest file (crash while writing) falls back to the older") {
  auto env = NewMemEnv();
  ManifestState s = SampleState();
  REQUIRE(WriteManifest(env.get(), "/db", s, 5, 0).ok());
  ManifestState newer = s;
  newer.last_sequence = 999999;
  const std::string encoded = EncodeManifest(newer);
  REQUIRE(env->WriteFileAtomically(ManifestFileName("/db", 8), encoded.substr(0, 30)).ok());
  auto loaded = LoadManifest(env.get(), "/db");
  REQUIRE(loaded.ok());
  CHECK((*loaded)->file_number == 5);
  CHECK_FALSE((*loaded)->warning.empty());
  CheckSame((*loaded)->state, s);

  // A damaged (not merely short) newest file is not a crash: it is an error.
  std::string damaged = encoded;
  damaged[3] ^= 0x10;
  REQUIRE(env->WriteFileAtomically(ManifestFileName("/db", 8), damaged).ok());
  CHECK(LoadManifest(env.get(), "/db").status().Is(ErrorCode::kCorruption));
}

}  // namespace kv
