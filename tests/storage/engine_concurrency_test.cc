// Many threads at once: writers with disjoint keys, readers checking that every value they see
// is one that was written to that key, scans checking order; then a final model check. And group
// commit: writers that arrive during an fsync share the next one.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "libkv/env/forwarding_env.h"
#include "libkv/storage/engine.h"
#include "tests/storage/quiet_logger.h"

namespace kv {
namespace {

// An Env whose syncs take a millisecond, like a real disk: writers pile up behind an fsync.
class SlowSyncEnv final : public ForwardingEnv {
 public:
  explicit SlowSyncEnv(Env* base) : ForwardingEnv(base) {}
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    KV_ASSIGN_OR_RETURN(auto f, base()->NewWritableFile(path));
    return std::unique_ptr<WritableFile>(new SlowFile(std::move(f)));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    KV_ASSIGN_OR_RETURN(auto f, base()->NewAppendableFile(path));
    return std::unique_ptr<WritableFile>(new SlowFile(std::move(f)));
  }

 private:
  class SlowFile final : public ForwardingWritableFile {
   public:
    using ForwardingWritableFile::ForwardingWritableFile;
    Status Sync() override {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return ForwardingWritableFile::Sync();
    }
  };
};

}  // namespace

TEST_CASE("engine concurrency: writers, readers and scans at once, then a model check") {
  auto env = NewMemEnv();
  EngineOptions o;
  o.env = env.get();
  o.dir = "/stress";
  o.sync = SyncMode::kOff;
  o.memtable_bytes = 64 << 10;
  o.logger = testing::QuietLogger();
  auto engine = std::move(*Engine::Open(o));

  constexpr int kWriters = 4, kReaders = 3, kOpsPerWriter = 20000, kKeys = 500;
  std::vector<std::map<std::string, std::string>> models(kWriters);
  std::atomic<int> writers_done{0};
  std::atomic<uint64_t> bad{0}, reads{0}, scans{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; t++) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      for (int i = 0; i < kOpsPerWriter; i++) {
        const std::string key = fmt::format("w{}-{:04}", t, rng() % kKeys);
        if (rng() % 6 == 0) {
          if (!engine->Delete(key).ok()) bad++;
          models[t].erase(key);
        } else if (rng() % 10 == 0) {
          Status s = engine->Update(
              key, [&](std::optional<std::string_view> cur) -> Result<std::optional<std::string>> {
                return std::optional<std::string>(fmt::format("{}|{}", key, cur ? cur->size() : 0));
              });
          if (!s.ok()) bad++;
          auto old = models[t].find(key);
          const size_t cur = old == models[t].end() ? 0 : old->second.size();
          models[t][key] = fmt::format("{}|{}", key, cur);
        } else {
          const std::string v = fmt::format("{}|{}", key, std::string(rng() % 100, 'x'));
          if (!engine->Put(key, v).ok()) bad++;
          models[t][key] = v;
        }
      }
      writers_done++;
    });
  }
  for (int r = 0; r < kReaders; r++) {
    threads.emplace_back([&, r] {
      std::mt19937_64 rng(200 + r);
      while (writers_done.load() < kWriters) {
        if (rng() % 500 == 0) {
          auto it = engine->NewIterator();
          std::string prev;
          for (it->SeekToFirst(); it->Valid(); it->Next()) {
            const std::string key(it->entry().key);
            if (key <= prev || !it->entry().value.starts_with(key + "|")) bad++;
            prev = key;
          }
          if (!it->status().ok()) bad++;
          scans++;
          continue;
        }
        const std::string key = fmt::format("w{}-{:04}", rng() % kWriters, rng() % kKeys);
        auto got = engine->Get(key);
        reads++;
        // Every value names its key: a value from another key would be wrong data.
        if (!got.ok() || (got->has_value() && !(*got)->starts_with(key + "|"))) bad++;
      }
    });
  }
  for (auto& th : threads) th.join();
  MESSAGE(fmt::format("reads {} scans {} flushes {} compactions {}", reads.load(), scans.load(),
                      engine->stats().flushes, engine->stats().compactions));
  CHECK(bad.load() == 0);

  std::map<std::string, std::string> all;
  for (const auto& m : models) all.insert(m.begin(), m.end());
  for (int t = 0; t < kWriters; t++) {
    for (int k = 0; k < kKeys; k++) {
      const std::string key = fmt::format("w{}-{:04}", t, k);
      auto got = engine->Get(key);
      REQUIRE(got.ok());
      auto want = all.find(key);
      CHECK(got->has_value() == (want != all.end()));
      if (got->has_value() && want != all.end()) CHECK(**got == want->second);
    }
  }
  auto it = engine->NewIterator();
  auto want = all.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
    REQUIRE(want != all.end());
    CHECK(it->entry().key == want->first);
  }
  CHECK(want == all.end());
}

TEST_CASE("engine concurrency: group commit shares one fsync among queued writers") {
  auto mem = NewMemEnv();
  SlowSyncEnv env(mem.get());
  EngineOptions o;
  o.env = &env;
  o.dir = "/group";
  o.sync = SyncMode::kBatch;
  o.logger = testing::QuietLogger();
  auto engine = std::move(*Engine::Open(o));
  constexpr int kThreads = 8, kWrites = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; i++)
        REQUIRE(engine->Put(fmt::format("t{}-{}", t, i), "value").ok());
    });
  }
  for (auto& th : threads) th.join();
  const EngineStats st = engine->stats();
  MESSAGE(fmt::format("log records {} log syncs {} ({:.1f} records per fsync)", st.log_records,
                      st.log_syncs, double(st.log_records) / double(st.log_syncs)));
  CHECK(st.log_records == kThreads * kWrites);
  // One thread alone would need one sync per write; eight share them.
  CHECK(st.log_syncs * 2 <= st.log_records);
}

TEST_CASE("engine concurrency: periodic sync acknowledges at once and syncs in the background") {
  auto env = NewMemEnv();
  EngineOptions o;
  o.env = env.get();
  o.dir = "/periodic";
  o.sync = SyncMode::kPeriodic;
  o.sync_period = std::chrono::milliseconds(1);
  o.logger = testing::QuietLogger();
  auto engine = std::move(*Engine::Open(o));
  for (int i = 0; i < 100; i++) REQUIRE(engine->Put(fmt::format("k{}", i), "v").ok());
  // The syncer runs every millisecond; wait (without a deadline) until it covered the writes.
  while (engine->stats().log_records < 100)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(engine->stats().log_syncs >= 1);
  CHECK(engine->stats().log_syncs <= 100);
}

}  // namespace kv
