#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <vector>

#include "libkv/storage/block_cache.h"
#include "libkv/storage/sstable.h"
#include "tests/storage/table_test_model.h"

namespace kv {
namespace {

std::shared_ptr<const std::string> Block(size_t n, char c) {
  return std::make_shared<const std::string>(n, c);
}

TEST_CASE("block cache: hits, misses, eviction within the byte bound") {
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

  // An iterator reads the cached blocks, and neither fills the cache nor counts in its ratio.
  const uint64_t hits_before = cache->hits();
  const uint64_t misses_before = cache->misses();
  auto it = (*reader)->NewIterator();
  auto want = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
    REQUIRE(want != model.end());
    CHECK(it->entry().key == want->first);
    CHECK(it->entry().value == want->second.value);
  }
  CHECK(it->status().ok());
  CHECK(want == model.end());
  CHECK(cache->hits() == hits_before);
  CHECK(cache->misses() == misses_before);
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

TEST_CASE("block cache: pinned index and filter bytes count against the budget") {
  const size_t capacity = 16 * 10000;
  BlockCache cache(capacity);
  const uint64_t id = cache.NewId();
  auto fill = [&] {
    for (uint64_t off = 0; off < 4000; ++off) cache.Insert(id, off * 4096, Block(872, 'b'));
  };
  fill();
  CHECK(cache.bytes() <= capacity);
  CHECK(cache.bytes() > capacity * 3 / 4);  // shards fill up
  cache.Pin(capacity / 2);
  fill();
  CHECK(cache.bytes() + cache.stats().pinned_bytes <= capacity);
  CHECK(cache.bytes() > capacity / 4);
  cache.Pin(capacity);  // pinned alone over budget: no block is kept
  fill();
  CHECK(cache.bytes() == 0);
  cache.Unpin(capacity + capacity / 2);
  fill();
  CHECK(cache.bytes() > capacity * 3 / 4);

  // A table reader pins its index and filter for its lifetime.
  auto env = NewMemEnv();
  REQUIRE(testing::BuildTable(env.get(), "/p.sst", testing::RandomModel(3, 2000, false)).ok());
  auto shared = std::make_shared<BlockCache>(1 << 20);
  {
    auto reader = TableReader::Open(env.get(), "/p.sst", TableReadOptions{shared});
    REQUIRE(reader.ok());
    CHECK(shared->stats().pinned_bytes > 2000 * 10 / 8);  // at least the filter's bits
  }
  CHECK(shared->stats().pinned_bytes == 0);
}

TEST_CASE("block cache: stress, many threads Lookup and Insert, budget and contents hold") {
  const size_t capacity = 16 * 50000;  // about 2/3 of the blocks: hits and evictions both
  BlockCache cache(capacity);
  constexpr int kThreads = 8;
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::atomic<size_t> max_seen{0};
  // Block (id, offset) holds its own name, repeated to a size drawn from the key.
  auto contents = [](uint64_t id, uint64_t offset) {
    const std::string name = fmt::format("{}:{};", id, offset);
    std::string s;
    const size_t n = 50 + (id * 7919 + offset * 104729) % 3000;
    while (s.size() < n) s += name;
    return s;
  };
  std::thread monitor([&] {
    while (!done.load()) {
      const size_t b = cache.bytes();
      size_t m = max_seen.load();
      while (b > m && !max_seen.compare_exchange_weak(m, b)) {
      }
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) + 17);
      for (int i = 0; i < 30000; ++i) {
        const uint64_t id = 1 + rng() % 4, offset = rng() % 200;
        const bool peek = rng() % 8 == 0;
        auto got = peek ? cache.Peek(id, offset) : cache.Lookup(id, offset);
        if (got) {
          if (*got != contents(id, offset)) wrong.fetch_add(1);
        } else if (!peek) {
          cache.Insert(id, offset, std::make_shared<const std::string>(contents(id, offset)));
        }
        if (i % 5000 == 0) {
          cache.Pin(1000);  // tables opening and closing meanwhile
          cache.Unpin(1000);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  monitor.join();
  CHECK(wrong.load() == 0);
  CHECK(max_seen.load() <= capacity);
  CHECK(cache.bytes() <= capacity);
  CHECK(cache.stats().pinned_bytes == 0);
  const BlockCacheStats st = cache.stats();
  MESSAGE("hits " << st.hits << ", misses " << st.misses << ", ratio " << st.hit_ratio());
  CHECK(st.hits + st.misses <= uint64_t{kThreads} * 30000);
  CHECK(st.hits > 0);
  CHECK(st.misses > 0);
}

}  // namespace
}  // namespace kv
