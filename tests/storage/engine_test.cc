#include <doctest/doctest.h>

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "libkv/env/env.h"
#include "libkv/storage/engine.h"

namespace kv {
namespace {

EngineOptions MemOptions(Env* env) {
  EngineOptions o;
  o.env = env;
  o.dir = "/db";
  o.memtable_bytes = 64 << 10;
  return o;
}

std::unique_ptr<Engine> MustOpen(const EngineOptions& o) {
  auto e = Engine::Open(o);
  REQUIRE_MESSAGE(e.ok(), e.status().ToString());
  return std::move(*e);
}

std::optional<std::string> MustGet(Engine* e, std::string_view key) {
  auto r = e->Get(key);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

}  // namespace

TEST_CASE("engine: put, get, delete, overwrite") {
  auto env = NewMemEnv();
  auto e = MustOpen(MemOptions(env.get()));
  REQUIRE(e->Put("a", "1").ok());
  REQUIRE(e->Put("b", "2").ok());
  CHECK(MustGet(e.get(), "a") == "1");
  REQUIRE(e->Put("a", "3").ok());
  CHECK(MustGet(e.get(), "a") == "3");
  REQUIRE(e->Delete("b").ok());
  CHECK(MustGet(e.get(), "b") == std::nullopt);
  CHECK(MustGet(e.get(), "zz") == std::nullopt);
  REQUIRE(e->Put("e", "").ok());
  CHECK(MustGet(e.get(), "e") == "");
  CHECK(e->stats().last_sequence == 5);
}

TEST_CASE("engine: writes survive reopen through log replay, flush and compaction") {
  auto env = NewMemEnv();
  auto o = MemOptions(env.get());
  {
    auto e = MustOpen(o);
    for (int i = 0; i < 3000; i++)
      REQUIRE(e->Put(fmt::format("key{}", i), std::string(50, 'a' + i % 26)).ok());
    REQUIRE(e->Delete("key7").ok());
  }
  {
    auto e = MustOpen(o);
    CHECK(e->stats().replayed_records > 0);
    CHECK(e->stats().last_sequence == 3001);
    CHECK(MustGet(e.get(), "key5") == std::string(50, 'a' + 5));
    CHECK(MustGet(e.get(), "key7") == std::nullopt);
    REQUIRE(e->Flush().ok());
    REQUIRE(e->Put("later", "x").ok());
    REQUIRE(e->CompactAll().ok());
    CHECK(e->stats().tables == 1);
    CHECK(MustGet(e.get(), "key2999") == std::string(50, 'a' + 2999 % 26));
    CHECK(MustGet(e.get(), "key7") == std::nullopt);
    CHECK(MustGet(e.get(), "later") == "x");
    REQUIRE(e->Close().ok());
  }
  {
    auto e = MustOpen(o);
    CHECK(e->stats().last_sequence == 3002);
    CHECK(MustGet(e.get(), "later") == "x");
    auto it = e->NewIterator();
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    CHECK(it->status().ok());
    CHECK(n == 3000);
  }
}

TEST_CASE("engine: a second open of the same directory is refused while the first is open") {
  auto env = NewMemEnv();
  auto first = MustOpen(MemOptions(env.get()));
  auto second = Engine::Open(MemOptions(env.get()));
  CHECK(second.status().Is(ErrorCode::kUnavailable));
  first.reset();
  CHECK(Engine::Open(MemOptions(env.get())).ok());
}

TEST_CASE("engine: Update is an atomic read-modify-write per key") {
  auto env = NewMemEnv();
  auto e = MustOpen(MemOptions(env.get()));
  constexpr int kThreads = 4, kIncrements = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; i++) {
        Status s = e->Update(
            "counter",
            [](std::optional<std::string_view> cur) -> Result<std::optional<std::string>> {
              const int n = cur ? std::stoi(std::string(*cur)) : 0;
              return std::optional<std::string>(std::to_string(n + 1));
            });
        REQUIRE(s.ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(MustGet(e.get(), "counter") == std::to_string(kThreads * kIncrements));
  // A merge that returns nothing writes nothing; an error from the merge is returned.
  const auto before = e->stats().last_sequence;
  CHECK(e->Update("counter", [](auto) -> Result<std::optional<std::string>> {
           return std::optional<std::string>();
         }).ok());
  CHECK(e->Update("counter", [](auto) -> Result<std::optional<std::string>> {
           return Status::InvalidArgument("no");
         }).Is(ErrorCode::kInvalidArgument));
  CHECK(e->stats().last_sequence == before);
}

TEST_CASE("engine: an iterator sees the store as of its creation") {
  auto env = NewMemEnv();
  auto e = MustOpen(MemOptions(env.get()));
  REQUIRE(e->Put("a", "1").ok());
  REQUIRE(e->Put("b", "2").ok());
  REQUIRE(e->Flush().ok());
  REQUIRE(e->Put("c", "3").ok());
  auto it = e->NewIterator();
  REQUIRE(e->Put("a", "changed").ok());
  REQUIRE(e->Delete("b").ok());
  REQUIRE(e->Put("d", "4").ok());
  REQUIRE(e->CompactAll().ok());
  std::vector<std::string> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    seen.push_back(std::string(it->entry().key) + "=" + std::string(it->entry().value));
  CHECK(it->status().ok());
  CHECK(seen == std::vector<std::string>{"a=1", "b=2", "c=3"});
}

TEST_CASE("engine: sequential flushes are compacted by moving tables, and reopen keeps runs") {
  auto env = NewMemEnv();
  auto o = MemOptions(env.get());
  int key = 0;
  {
    auto e = MustOpen(o);
    for (int flush = 0; flush < 6; flush++) {
      for (int i = 0; i < 100; i++) REQUIRE(e->Put(fmt::format("{:08}", key++), "v").ok());
      REQUIRE(e->Flush().ok());
    }
    // Four runs trigger a compaction; wait for it (no deadline: it is a background thread).
    while (e->stats().compactions == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // Moved, not merged: still one table per flush.
    CHECK(e->stats().tables == 6);
  }
  auto e = MustOpen(o);
  CHECK(e->stats().tables == 6);
  for (int k = 0; k < key; k++) REQUIRE(MustGet(e.get(), fmt::format("{:08}", k)) == "v");
  auto it = e->NewIterator();
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++)
    REQUIRE(it->entry().key == fmt::format("{:08}", n));
  CHECK(n == key);
  REQUIRE(e->CompactAll().ok());
  CHECK(e->stats().tables == 1);
  CHECK(MustGet(e.get(), "00000599") == "v");
}

TEST_CASE("engine: compressed tables and the block cache are the defaults, and counted") {
  auto env = NewMemEnv();
  auto e = MustOpen(MemOptions(env.get()));
  const std::string value(200, 'v');  // compresses
  for (int i = 0; i < 2000; i++) REQUIRE(e->Put(fmt::format("k{:05}", i), value).ok());
  REQUIRE(e->Flush().ok());
  EngineStats st = e->stats();
  CHECK(st.block_cache.capacity_bytes == kDefaultBlockCacheBytes);
  CHECK(st.block_cache.pinned_bytes > 0);  // the table's index and filter
  CHECK(st.table_bytes < 2000 * 200 / 4);  // LZ4 shrank the values
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < 2000; i++) CHECK(MustGet(e.get(), fmt::format("k{:05}", i)) == value);
  st = e->stats();
  CHECK(st.block_cache.misses > 0);
  CHECK(st.block_cache.hits > st.block_cache.misses);
  CHECK(st.block_cache.block_bytes > 0);
  CHECK(st.block_cache.hit_ratio() > 0.9);

  auto off = MemOptions(env.get());
  off.dir = "/off";
  off.block_cache_bytes = 0;
  auto no_cache = MustOpen(off);
  REQUIRE(no_cache->Put("a", "b").ok());
  REQUIRE(no_cache->Flush().ok());
  CHECK(MustGet(no_cache.get(), "a") == "b");
  CHECK(no_cache->stats().block_cache.capacity_bytes == 0);
  CHECK(no_cache->stats().block_cache.hits + no_cache->stats().block_cache.misses == 0);
}

TEST_CASE("engine: a full compaction drops values the filter calls obsolete, older ones too") {
  auto env = NewMemEnv();
  auto o = MemOptions(env.get());
  o.value_is_obsolete = [](std::string_view, std::string_view value) { return value == "gone"; };
  auto e = MustOpen(o);
  REQUIRE(e->Put("k", "old").ok());
  REQUIRE(e->Put("keep", "v").ok());
  REQUIRE(e->Flush().ok());
  REQUIRE(e->Put("k", "gone").ok());
  REQUIRE(e->Flush().ok());
  // Until a compaction that holds the oldest data, the obsolete value stays and is read.
  CHECK(MustGet(e.get(), "k") == "gone");
  REQUIRE(e->CompactAll().ok());
  // Dropped whole: "old" did not come back from under it.
  CHECK(MustGet(e.get(), "k") == std::nullopt);
  CHECK(MustGet(e.get(), "keep") == "v");
  CHECK(e->stats().tables == 1);
}

TEST_CASE("engine: bloom figures count what the filters did, and nothing without filters") {
  for (int bits : {10, 0}) {
    auto env = NewMemEnv();
    auto o = MemOptions(env.get());
    o.table.bloom_bits_per_key = bits;
    o.memtable_bytes = 1 << 20;  // one table: one probe per Get
    auto e = MustOpen(o);
    for (int i = 0; i < 1000; i++) REQUIRE(e->Put(fmt::format("present{}", i), "v").ok());
    REQUIRE(e->Flush().ok());
    for (int i = 0; i < 1000; i++)
      CHECK(MustGet(e.get(), fmt::format("present{}x", i)) == std::nullopt);
    const EngineStats st = e->stats();
    CAPTURE(bits);
    if (bits > 0) {
      // A few absent keys sort past the table's largest key: the range check skips those.
      CHECK(st.bloom_skips + st.bloom_false_positives <= 1000);
      CHECK(st.bloom_skips + st.bloom_false_positives >= 990);
      CHECK(st.bloom_false_positives < 100);
    } else {
      CHECK(st.bloom_skips == 0);
      CHECK(st.bloom_false_positives == 0);
    }
  }
}

TEST_CASE("engine: sync modes parse and print") {
  CHECK(*ParseSyncMode("batch") == SyncMode::kBatch);
  CHECK(*ParseSyncMode("periodic") == SyncMode::kPeriodic);
  CHECK(*ParseSyncMode("off") == SyncMode::kOff);
  CHECK(ParseSyncMode("always").status().Is(ErrorCode::kInvalidArgument));
  CHECK(SyncModeName(SyncMode::kPeriodic) == "periodic");
}

}  // namespace kv

namespace kv {

TEST_CASE(
    "engine: estimated keys count memtable writes and table entries, exact after compaction") {
  auto env = NewMemEnv();
  auto e = MustOpen(MemOptions(env.get()));
  CHECK(e->stats().estimated_keys == 0);
  CHECK(e->stats().table_bytes == 0);
  for (int i = 0; i < 100; i++) REQUIRE(e->Put(fmt::format("key{}", i), "v").ok());
  CHECK(e->stats().estimated_keys == 100);
  // Overwrites before a flush count again: the documented overcount.
  for (int i = 0; i < 10; i++) REQUIRE(e->Put(fmt::format("key{}", i), "w").ok());
  CHECK(e->stats().estimated_keys == 110);
  // A flush keeps one entry per key.
  REQUIRE(e->Flush().ok());
  CHECK(e->stats().estimated_keys == 100);
  CHECK(e->stats().table_bytes > 0);
  // A second table holding some of the same keys counts them twice, its tombstones not at all.
  for (int i = 0; i < 5; i++) REQUIRE(e->Put(fmt::format("key{}", i), "x").ok());
  for (int i = 5; i < 10; i++) REQUIRE(e->Delete(fmt::format("key{}", i)).ok());
  REQUIRE(e->Flush().ok());
  CHECK(e->stats().estimated_keys == 105);
  // Compaction merges the versions and drops what the deletes removed: the truth.
  REQUIRE(e->CompactAll().ok());
  CHECK(e->stats().estimated_keys == 95);
}

}  // namespace kv
