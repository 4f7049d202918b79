#include <doctest/doctest.h>

#include <fmt/format.h>

#include <string>

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

}  // namespace kv
