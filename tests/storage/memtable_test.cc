#include <doctest/doctest.h>

#include <fmt/format.h>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "libkv/storage/memtable.h"

namespace kv {
namespace {

struct Version {
  SequenceNumber seq;
  EntryKind kind;
  std::string value;
};

std::string RandomKey(std::mt19937_64& rng) {
  // Short keys from a small alphabet collide often, so overwrites and shared prefixes are common.
  std::string k(1 + rng() % 6, 'a');
  for (char& c : k) c = static_cast<char>('a' + rng() % 4);
  return k;
}

}  // namespace

TEST_CASE("memtable: matches a std::map model under random writes, gets and scans") {
  const uint64_t seed = 42;
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  auto mem = std::make_shared<MemTable>(7);
  CHECK(mem->empty());
  CHECK(mem->log_number() == 7);
  std::map<std::string, Version> model;
  SequenceNumber seq = 0;
  for (int i = 0; i < 20000; i++) {
    const std::string key = RandomKey(rng);
    if (rng() % 3 == 0) {
      auto got = mem->Get(key);
      auto want = model.find(key);
      REQUIRE(got.has_value() == (want != model.end()));
      if (got) {
        CHECK(got->key == key);
        CHECK(got->seq == want->second.seq);
        CHECK(got->kind == want->second.kind);
        CHECK(got->value == want->second.value);
      }
      continue;
    }
    const EntryKind kind = rng() % 4 == 0 ? EntryKind::kTombstone : EntryKind::kValue;
    const std::string value =
        kind == EntryKind::kValue ? std::string(rng() % 40, static_cast<char>('A' + i % 26)) : "";
    mem->Add(++seq, kind, key, value);
    model[key] = {seq, kind, value};
  }
  CHECK(mem->ApproximateBytes() > 0);
  CHECK(mem->MemoryUsage() >= mem->ApproximateBytes());

  auto it = mem->NewIterator();
  auto want = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
    REQUIRE(want != model.end());
    CHECK(it->entry().key == want->first);
    CHECK(it->entry().seq == want->second.seq);
    CHECK(it->entry().value == want->second.value);
  }
  CHECK(want == model.end());
  for (const char* target : {"", "a", "abc", "bb", "dddddd", "e"}) {
    it->Seek(target);
    auto w = model.lower_bound(target);
    if (w == model.end()) {
      CHECK_FALSE(it->Valid());
    } else {
      REQUIRE(it->Valid());
      CHECK(it->entry().key == w->first);
    }
  }
}

TEST_CASE("memtable: a snapshot iterator sees the versions as of its snapshot") {
  auto mem = std::make_shared<MemTable>();
  mem->Add(1, EntryKind::kValue, "a", "a1");
  mem->Add(2, EntryKind::kValue, "b", "b2");
  auto it = mem->NewIterator(2);
  mem->Add(3, EntryKind::kValue, "a", "a3");
  mem->Add(4, EntryKind::kValue, "c", "c4");
  mem->Add(5, EntryKind::kTombstone, "b", "");
  it->SeekToFirst();
  REQUIRE(it->Valid());
  CHECK(it->entry().value == "a1");
  it->Next();
  REQUIRE(it->Valid());
  CHECK(it->entry().value == "b2");
  it->Next();
  CHECK_FALSE(it->Valid());
  CHECK(mem->Get("a")->value == "a3");
  CHECK(mem->Get("b")->kind == EntryKind::kTombstone);
}

TEST_CASE("memtable: readers run concurrently with the writer") {
  auto mem = std::make_shared<MemTable>();
  constexpr int kKeys = 20000;
  std::atomic<int> written{0};
  std::atomic<bool> bad{false};
  std::thread reader([&] {
    std::mt19937_64 rng(1);
    while (written.load() < kKeys) {
      const int n = written.load(std::memory_order_acquire);
      if (n == 0) continue;
      const int i = static_cast<int>(rng() % n);
      auto got = mem->Get(fmt::format("key{}", 1000000 + i));
      if (!got || got->value != std::to_string(i)) bad = true;
      // Scans see a sorted sequence.
      if (rng() % 100 == 0) {
        auto it = mem->NewIterator();
        std::string prev;
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
          if (std::string(it->entry().key) <= prev) bad = true;
          prev = it->entry().key;
        }
      }
    }
  });
  for (int i = 0; i < kKeys; i++) {
    mem->Add(i + 1, EntryKind::kValue, fmt::format("key{}", 1000000 + i), std::to_string(i));
    written.store(i + 1, std::memory_order_release);
  }
  reader.join();
  CHECK_FALSE(bad.load());
}

}  // namespace kv
