#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "libkv/storage/block_cache.h"
#include "libkv/storage/sstable.h"
#include "tests/storage/table_test_model.h"

namespace kv {
namespace {

std::shared_ptr<const std::string> Block(size_t n, char c) {
  return std::make_shared<const std::string>(n, c);
}

TEST_CASE("block cache: hits, misses, LRU eviction within the byte bound") {
  BlockCache cache(16 * 1000);  // 1000 bytes per shard
  const uint64_t a = cache.NewId(), b = cache.NewId();
  CHECK(a != b);
  CHECK(cache.Lookup(a, 0) == nullptr);
  cache.Insert(a, 0, Block(100, 'x'));
  cache.Insert(b, 0, Block(100, 'y'));
  REQUIRE(cache.Lookup(a, 0) != nullptr);
  CHECK(*cache.Lookup(a, 0) == std::string(100, 'x'));
  CHECK(*cache.Lookup(b, 0) == std::string(100, 'y'));
  CHECK(cache.hits() == 3);
  CHECK(cache.misses() == 1);
  // Replacing a key keeps one copy.
  cache.Insert(a, 0, Block(50, 'z'));
  CHECK(*cache.Lookup(a, 0) == std::string(50, 'z'));
  // Far more than fits: the total stays within capacity, and a block held outside survives.
  auto held = cache.Lookup(a, 0);
  for (uint64_t off = 1; off < 2000; ++off) cache.Insert(a, off * 4096, Block(300, 'q'));
  CHECK(cache.bytes() <= cache.capacity_bytes());
  CHECK(*held == std::string(50, 'z'));
  // A block larger than a shard is not cached at all.
  cache.Insert(b, 1, Block(5000, 'L'));
  CHECK(cache.Lookup(b, 1) == nullptr);
}

TEST_CASE("block cache: Get through a cache gives the same answers and hits on repeat") {
  auto env = NewMemEnv();
  const testing::TableModel model = testing::RandomModel(5, 3000, false);
  REQUIRE(testing::BuildTable(env.get(), "/c.sst", model).ok());
  auto cache = std::make_shared<BlockCache>(64 << 20);
  auto reader = TableReader::Open(env.get(), "/c.sst", TableReadOptions{cache});
  REQUIRE(reader.ok());
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [k, e] : model) {
      auto got = (*reader)->Get(k);
      REQUIRE(got.ok());
      REQUIRE(got->outcome == TableLookup::Outcome::kFound);
      CHECK(got->seq == e.seq);
      CHECK(got->value == e.value);
    }
  }
  const uint64_t blocks = (*reader)->index().size();
  MESSAGE(blocks << " blocks, " << cache->hits() << " hits, " << cache->misses() << " misses");
  CHECK(cache->misses() == blocks);
  CHECK(cache->hits() == 2 * model.size() - blocks);

  // An iterator reads the cached blocks (and does not fill the cache itself).
  const uint64_t hits_before = cache->hits();
  auto it = (*reader)->NewIterator();
  auto want = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
    REQUIRE(want != model.end());
    CHECK(it->entry().key == want->first);
    CHECK(it->entry().value == want->second.value);
  }
  CHECK(it->status().ok());
  CHECK(want == model.end());
  CHECK(cache->hits() == hits_before + blocks);
}

TEST_CASE("block cache: many threads share one reader and one small cache") {
  auto env = NewMemEnv();
  const testing::TableModel model = testing::RandomModel(8, 2000, false);
  REQUIRE(testing::BuildTable(env.get(), "/m.sst", model).ok());
  auto cache = std::make_shared<BlockCache>(16 * 8192);  // far smaller than the table: evictions
  auto reader = TableReader::Open(env.get(), "/m.sst", TableReadOptions{cache});
  REQUIRE(reader.ok());
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int pass = 0; pass < 3; ++pass) {
        for (const auto& [k, e] : model) {
          auto got = (*reader)->Get(k);
          if (!got.ok() || got->value != e.value || got->seq != e.seq) ++wrong[t];
        }
        auto it = (*reader)->NewIterator();
        size_t n = 0;
        for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
        if (n != model.size()) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong) CHECK(w == 0);
  CHECK(cache->bytes() <= cache->capacity_bytes());
}

}  // namespace
}  // namespace kv
