// The whole engine against a std::map model under long random operation sequences, with
// flushes, full compactions and reopens in between.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

#include <fmt/format.h>

#include "libkv/env/env.h"
#include "libkv/storage/engine.h"

namespace kv {
namespace {

void CheckScan(Engine* engine, const std::map<std::string, std::string>& model) {
  auto it = engine->NewIterator();
  auto want = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
    REQUIRE(want != model.end());
    REQUIRE(it->entry().key == want->first);
    REQUIRE(it->entry().value == want->second);
    REQUIRE(it->entry().kind == EntryKind::kValue);
  }
  REQUIRE(it->status().ok());
  REQUIRE(want == model.end());
}

void RunModel(uint64_t seed, int ops, bool purge_all) {
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  auto env = NewMemEnv();
  EngineOptions o;
  o.env = env.get();
  o.dir = "/model";
  o.memtable_bytes = 32 << 10;
  o.table.block_bytes = 1024;
  if (!purge_all) {
    // Keep the tombstones of half the keys forever, as the cluster's grace period would.
    o.can_purge_tombstone = [](std::string_view key, SequenceNumber) { return key.back() % 2; };
  }
  auto engine = std::move(*Engine::Open(o));
  std::map<std::string, std::string> model;
  std::vector<std::string> keys;
  for (int i = 0; i < 1500; i++) keys.push_back(fmt::format("k{:x}", rng() % 100000));
  auto random_value = [&] {
    const size_t len = rng() % 20 == 0 ? 3000 + rng() % 3000 : rng() % 120;
    std::string v(len, '\0');
    for (char& c : v) c = static_cast<char>('a' + rng() % 26);
    return v;
  };
  int reopens = 0, flushes = 0, compactions = 0;
  for (int i = 0; i < ops; i++) {
    const std::string& key = keys[rng() % keys.size()];
    const int dice = static_cast<int>(rng() % 1000);
    if (dice < 550) {
      const std::string v = random_value();
      REQUIRE(engine->Put(key, v).ok());
      model[key] = v;
    } else if (dice < 700) {
      REQUIRE(engine->Delete(key).ok());
      model.erase(key);
    } else if (dice < 900) {
      auto got = engine->Get(key);
      REQUIRE_MESSAGE(got.ok(), got.status().ToString());
      auto want = model.find(key);
      if (want == model.end()) {
        REQUIRE_MESSAGE(!got->has_value(), "op " << i << " key " << key);
      } else {
        REQUIRE_MESSAGE(got->has_value(), "op " << i << " key " << key);
        REQUIRE(**got == want->second);
      }
    } else if (dice < 980) {
      // Update appends a letter, or creates the key.
      Status s = engine->Update(
          key, [](std::optional<std::string_view> cur) -> Result<std::optional<std::string>> {
            return std::optional<std::string>(std::string(cur.value_or("")) + "u");
          });
      REQUIRE(s.ok());
      model[key] += "u";
    } else if (dice < 985) {
      CheckScan(engine.get(), model);
    } else if (dice < 992) {
      REQUIRE(engine->Flush().ok());
      flushes++;
    } else if (dice < 996) {
      REQUIRE(engine->CompactAll().ok());
      CHECK(engine->stats().tables <= 1);
      compactions++;
    } else if (dice < 997) {
      if (rng() % 2) REQUIRE(engine->Close().ok());
      engine.reset();
      auto reopened = Engine::Open(o);
      REQUIRE_MESSAGE(reopened.ok(), reopened.status().ToString());
      engine = std::move(*reopened);
      reopens++;
    } else {
      const std::string v = random_value();
      REQUIRE(engine->Put(key, v).ok());
      model[key] = v;
    }
  }
  CheckScan(engine.get(), model);
  REQUIRE(engine->CompactAll().ok());
  CheckScan(engine.get(), model);
  const EngineStats st = engine->stats();
  MESSAGE(fmt::format(
      "ops {} reopens {} flushes {} full compactions {}; engine: tables {} "
      "flushes {} compactions {} bloom skips {}",
      ops, reopens, flushes, compactions, st.tables, st.flushes, st.compactions, st.bloom_skips));
  if (purge_all) {
    // Everything merged into one table with no tombstones left: its entries are the live keys.
    CHECK(st.tables == (model.empty() ? 0 : 1));
  }
}

}  // namespace

TEST_CASE("engine model: random puts, deletes, gets, updates, scans, flushes, reopens") {
  RunModel(20261125, 120000, /*purge_all=*/true);
}

TEST_CASE("engine model: the same with tombstones kept for half the keys") {
  RunModel(7, 60000, /*purge_all=*/false);
}

}  // namespace kv
