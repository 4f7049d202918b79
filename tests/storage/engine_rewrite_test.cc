// Engine::RewriteTables, cleanup's rewrite: it keeps exactly the keys the rule keeps, whichever
// tables (and the memtable) hold their versions, with overwrites and deletes; it writes nothing
// (no tombstone: the sequence does not move); it gives the old tables' disk back; writes made
// while it runs are kept; a failed check drops nothing. And power loss at every file-system step
// of a rewrite leaves the store as it was before or as it is after, never a mix.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "libkv/env/env.h"
#include "libkv/env/fault_injection_env.h"
#include "libkv/storage/engine.h"
#include "tests/storage/countdown_env.h"
#include "tests/storage/quiet_logger.h"

namespace kv {
namespace {

constexpr int kKeys = 3000;

std::string Key(int i) {
  return fmt::format("key{:05}", i);
}
// The rule under test: keys whose number is not a multiple of 3 stay (2/3 of them).
bool Keep(std::string_view key) {
  return std::stoi(std::string(key.substr(3))) % 3 != 0;
}

EngineOptions Options(Env* env) {
  EngineOptions o;
  o.env = env;
  o.dir = "/db";
  o.memtable_bytes = 1 << 20;  // flushes only where the test asks
  o.logger = testing::QuietLogger();
  return o;
}

// Writes the same history every time: three tables and the memtable, with overwrites across
// them and deletes whose tombstone sits in a newer table than the value. Returns the model.
std::map<std::string, std::optional<std::string>> WriteHistory(Engine* engine, int keys = kKeys) {
  std::map<std::string, std::optional<std::string>> model;
  auto put = [&](int i, const std::string& v) {
    REQUIRE(engine->Put(Key(i), v).ok());
    model[Key(i)] = v;
  };
  for (int i = 0; i < keys; i++) put(i, fmt::format("first-{}-{}", i, std::string(40, 'x')));
  REQUIRE(engine->Flush().ok());
  for (int i = 0; i < keys; i += 2) put(i, fmt::format("second-{}", i));  // overwrites
  REQUIRE(engine->Flush().ok());
  for (int i = 0; i < keys; i += 5) {
    REQUIRE(engine->Delete(Key(i)).ok());
    model[Key(i)] = std::nullopt;
  }
  for (int i = keys; i < keys + 300; i++) put(i, "new");  // only in the third table
  REQUIRE(engine->Flush().ok());
  for (int i = 0; i < keys; i += 7) put(i, fmt::format("memtable-{}", i));  // not flushed yet
  for (int i = 1; i < keys; i += 11) {
    REQUIRE(engine->Delete(Key(i)).ok());
    model[Key(i)] = std::nullopt;
  }
  return model;
}

void CheckHolds(Engine* engine, const std::map<std::string, std::optional<std::string>>& model,
                bool filtered, const std::string& when) {
  for (const auto& [key, value] : model) {
    Result<std::optional<std::string>> got = engine->Get(key);
    REQUIRE_MESSAGE(got.ok(), when << ": " << got.status().ToString());
    const std::optional<std::string> want = filtered && !Keep(key) ? std::nullopt : value;
    CHECK_MESSAGE(*got == want, when << ": " << key);
  }
}

}  // namespace

TEST_CASE("rewrite: keeps exactly the keys the rule keeps, every version of the others goes") {
  auto env = NewMemEnv();
  auto engine = std::move(*Engine::Open(Options(env.get())));
  const auto model = WriteHistory(engine.get());
  uint64_t live = 0, dropped = 0, dropped_bytes = 0;
  for (const auto& [key, value] : model) {
    if (!value) continue;
    live++;
    if (!Keep(key)) {
      dropped++;
      dropped_bytes += key.size() + value->size();
    }
  }
  REQUIRE(engine->stats().tables == 3);
  const SequenceNumber seq = engine->stats().last_sequence;

  Result<RewriteFigures> done = engine->RewriteTables({.keep = Keep, .check = nullptr});
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK(done->keys_scanned == live);
  CHECK(done->keys_dropped == dropped);
  CHECK(done->bytes_dropped == dropped_bytes);
  CHECK(done->table_bytes_after < done->table_bytes_before);
  CheckHolds(engine.get(), model, /*filtered=*/true, "after the rewrite");

  const EngineStats stats = engine->stats();
  CHECK(stats.last_sequence == seq);  // nothing written: no tombstone, no put
  CHECK(stats.tables == 1);           // one run, the old tables deleted
  CHECK(stats.table_bytes == done->table_bytes_after);
  // Only the live kept keys are left in the tables: the dropped keys' versions are gone, and so
  // are the kept keys' tombstones (purged, as a full compaction does by default).
  CHECK(stats.estimated_keys == live - dropped);
  Result<std::vector<std::string>> files = env->GetChildren("/db");
  REQUIRE(files.ok());
  size_t table_files = 0;
  for (const std::string& name : *files) table_files += name.ends_with(".sst");
  CHECK(table_files == 1);

  // Reopened, the same.
  engine.reset();
  engine = std::move(*Engine::Open(Options(env.get())));
  CheckHolds(engine.get(), model, /*filtered=*/true, "reopened");
  // A second rewrite finds nothing to drop.
  done = engine->RewriteTables({.keep = Keep, .check = nullptr});
  REQUIRE(done.ok());
  CHECK(done->keys_dropped == 0);
  CHECK(done->keys_scanned == live - dropped);
}

TEST_CASE("rewrite: writes made while it runs are kept") {
  auto env = NewMemEnv();
  auto engine = std::move(*Engine::Open(Options(env.get())));
  auto model = WriteHistory(engine.get());
  std::atomic<bool> rewriting{true};
  std::map<std::string, std::string> during;  // the writer's last value per key
  bool write_failed = false;
  std::thread writer([&] {
    for (int round = 0; rewriting || round < 3; round++) {
      for (int i = 0; i < kKeys; i += 97) {
        const std::string v = fmt::format("during-{}-{}", round, i);
        write_failed |= !engine->Put(Key(i), v).ok();
        during[Key(i)] = v;
      }
    }
  });
  Result<RewriteFigures> done = engine->RewriteTables({.keep = Keep, .check = nullptr});
  rewriting = false;
  writer.join();
  REQUIRE(done.ok());
  REQUIRE(!write_failed);
  for (const auto& [key, value] : during) model[key] = value;
  // A key the rule keeps holds its last write; one it drops holds the writer's last value or
  // nothing (a write that reached a table before the rewrite began went with it).
  for (const auto& [key, value] : model) {
    Result<std::optional<std::string>> got = engine->Get(key);
    REQUIRE(got.ok());
    if (Keep(key)) {
      CHECK_MESSAGE(*got == value, key);
    } else if (got->has_value()) {
      CHECK_MESSAGE(during.count(key) == 1, key);
      CHECK_MESSAGE(**got == during[key], key);
    }
  }
}

TEST_CASE("rewrite: a failed check stops it and drops nothing") {
  auto env = NewMemEnv();
  auto engine = std::move(*Engine::Open(Options(env.get())));
  // 9,000 keys: a check after 4,096 and 8,192 keys, then the last one before the new tables
  // replace the old.
  const auto model = WriteHistory(engine.get(), 9000);
  for (int fail_at : {1, 2, 3}) {
    CAPTURE(fail_at);
    int calls = 0;
    const TableRewrite rewrite{.keep = Keep, .check = [&] {
                                 return ++calls == fail_at ? Status::Unavailable("ring changed")
                                                           : Status::Ok();
                               }};
    Result<RewriteFigures> done = engine->RewriteTables(rewrite);
    REQUIRE(!done.ok());
    CHECK(done.status().message() == "ring changed");
    CHECK(calls == fail_at);
    CheckHolds(engine.get(), model, /*filtered=*/false, "after the failed rewrite");
    // No table of the rewrite is left behind, and the engine still takes writes.
    Result<std::vector<std::string>> files = env->GetChildren("/db");
    REQUIRE(files.ok());
    size_t table_files = 0;
    for (const std::string& name : *files) table_files += name.ends_with(".sst");
    CHECK(table_files == engine->stats().tables);
    CHECK(engine->Put(Key(99999), "x").ok());
  }
}

TEST_CASE("rewrite crash: power loss at every step leaves the old store or the new, never a mix") {
  int crashes = 0, old_stores = 0, new_stores = 0;
  for (int steps = 1;; steps++) {
    auto mem = NewMemEnv();
    FaultInjectionEnv env(mem.get());
    CountdownEnv countdown(&env, 0);
    auto engine = std::move(*Engine::Open(Options(&countdown)));
    const auto model = WriteHistory(engine.get());  // acknowledged: in tables or a synced log
    countdown.Arm(steps);
    Result<RewriteFigures> done = engine->RewriteTables({.keep = Keep, .check = nullptr});
    if (!countdown.fired()) {
      REQUIRE(done.ok());
      MESSAGE(
          fmt::format("a rewrite takes {} file-system steps; crashed at each of the {} before "
                      "that and recovered: {} times the old store, {} times the new",
                      steps - 1, crashes, old_stores, new_stores));
      break;
    }
    crashes++;
    engine.reset();  // abandoned, as by kill -9
    REQUIRE(env.SimulateCrash().ok());
    env.SetFilesystemActive(true);
    auto reopened = Engine::Open(Options(&env));
    REQUIRE_MESSAGE(reopened.ok(), "step " << steps << ": " << reopened.status().ToString());
    // All or nothing: the first key the rule drops tells which store this is.
    Result<std::optional<std::string>> probe = (*reopened)->Get(Key(3));
    REQUIRE(probe.ok());
    REQUIRE(model.at(Key(3)).has_value());
    const bool filtered = !probe->has_value();
    (filtered ? new_stores : old_stores)++;
    CheckHolds(reopened->get(), model, filtered, fmt::format("step {}", steps));
    // What no manifest names was removed at Open.
    Result<std::vector<std::string>> files = mem->GetChildren("/db");
    REQUIRE(files.ok());
    size_t table_files = 0;
    for (const std::string& name : *files) table_files += name.ends_with(".sst");
    CHECK_MESSAGE(table_files == (*reopened)->stats().tables, "step " << steps);
  }
  CHECK(crashes > 10);
  // Both sides of the manifest edit were crashed at.
  CHECK(old_stores > 0);
  CHECK(new_stores > 0);
}

}  // namespace kv
