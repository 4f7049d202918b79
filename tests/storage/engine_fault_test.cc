// The engine under failing and damaged disks: fsync failure, flipped bytes in the commit log
// and the manifest, oversized input. The rule in every case: a clear error or a missing key,
// never a wrong value, never a crash (CI runs these under ASan and UBSan).
#include <doctest/doctest.h>

#include <random>
#include <string>

#include <fmt/format.h>

#include "libkv/base/limits.h"
#include "libkv/env/env.h"
#include "libkv/env/fault_injection_env.h"
#include "libkv/storage/data_dir.h"
#include "libkv/storage/engine.h"
#include "tests/storage/quiet_logger.h"

namespace kv {
namespace {

EngineOptions Options(Env* env) {
  EngineOptions o;
  o.env = env;
  o.dir = "/db";
  o.memtable_bytes = 1 << 20;
  o.logger = testing::QuietLogger();
  return o;
}

std::string Value(int i) {
  return fmt::format("value-{}-{}", i, std::string(i % 50, 'x'));
}

// Files in /db of one kind.
std::vector<std::string> FilesOf(Env* env, DataFileKind kind) {
  std::vector<std::string> out;
  auto names = env->GetChildren("/db");
  REQUIRE(names.ok());
  for (const auto& name : *names) {
    uint64_t n;
    if (ParseDataFileName(name, &n) == kind) out.push_back(JoinPath("/db", name));
  }
  return out;
}

void FlipByte(Env* env, const std::string& path, size_t offset) {
  std::string contents = *env->ReadFileToString(path);
  contents[offset] ^= 0x20;
  auto f = env->NewWritableFile(path);
  REQUIRE((*f)->Append(contents).ok());
  REQUIRE((*f)->Close().ok());
}

}  // namespace

TEST_CASE("engine fault: an fsync failure stops writes for good — reads stay right") {
  auto mem = NewMemEnv();
  FaultInjectionEnv env(mem.get());
  {
    auto engine = std::move(*Engine::Open(Options(&env)));
    for (int i = 0; i < 100; i++) REQUIRE(engine->Put(fmt::format("k{}", i), Value(i)).ok());
    env.SetFilesystemActive(false);
    Status s = engine->Put("k5", "new");
    CHECK(s.Is(ErrorCode::kIOError));
    CHECK(s.message().find("restart") != std::string::npos);
    env.SetFilesystemActive(true);  // the disk comes back: still no retry
    CHECK(engine->Put("k6", "new").Is(ErrorCode::kIOError));
    CHECK(engine->Delete("k7").Is(ErrorCode::kIOError));
    CHECK(engine->Flush().Is(ErrorCode::kIOError));
    for (int i = 0; i < 100; i++) CHECK(**engine->Get(fmt::format("k{}", i)) == Value(i));
  }
  REQUIRE(env.SimulateCrash().ok());
  auto engine = Engine::Open(Options(&env));
  REQUIRE(engine.ok());
  for (int i = 0; i < 100; i++) CHECK(**(*engine)->Get(fmt::format("k{}", i)) == Value(i));
}

TEST_CASE("engine fault: oversized keys and values are refused before anything is written") {
  auto env = NewMemEnv();
  auto engine = std::move(*Engine::Open(Options(env.get())));
  REQUIRE(engine->Put("a", "1").ok());
  const auto log = FilesOf(env.get(), DataFileKind::kLog);
  REQUIRE(log.size() == 1);
  const uint64_t log_size = *env->GetFileSize(log[0]);
  const std::string big_key(kMaxKeyBytes + 1, 'k');
  const std::string big_value(kMaxStoredValueBytes + 1, 'v');
  CHECK(engine->Put(big_key, "v").Is(ErrorCode::kInvalidArgument));
  CHECK(engine->Put("k", big_value).Is(ErrorCode::kInvalidArgument));
  CHECK(engine->Put("", "v").Is(ErrorCode::kInvalidArgument));
  CHECK(engine->Delete(big_key).Is(ErrorCode::kInvalidArgument));
  CHECK(engine->Get(big_key).status().Is(ErrorCode::kInvalidArgument));
  CHECK(engine
            ->Update(big_key,
                     [](auto) -> Result<std::optional<std::string>> {
                       return std::optional<std::string>("x");
                     })
            .Is(ErrorCode::kInvalidArgument));
  CHECK(engine
            ->Update("k",
                     [&](auto) -> Result<std::optional<std::string>> {
                       return std::optional<std::string>(big_value);
                     })
            .Is(ErrorCode::kInvalidArgument));
  CHECK(engine->stats().last_sequence == 1);
  CHECK(*env->GetFileSize(log[0]) == log_size);
  // The largest allowed sizes pass.
  CHECK(engine->Put(std::string(kMaxKeyBytes, 'k'), std::string(kMaxStoredValueBytes, 'v')).ok());
}

TEST_CASE("engine fault: a flipped byte in the commit log is an error or a missing key") {
  const uint64_t seed = 99;
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  int open_errors = 0, opened = 0, missing = 0;
  for (int round = 0; round < 150; round++) {
    auto env = NewMemEnv();
    {
      auto engine = std::move(*Engine::Open(Options(env.get())));
      for (int i = 0; i < 50; i++) REQUIRE(engine->Put(fmt::format("k{}", i), Value(i)).ok());
    }  // no Close: the writes stay in the log only
    const auto logs = FilesOf(env.get(), DataFileKind::kLog);
    REQUIRE(logs.size() == 1);
    const uint64_t size = *env->GetFileSize(logs[0]);
    const size_t offset = rng() % size;
    FlipByte(env.get(), logs[0], offset);
    auto engine = Engine::Open(Options(env.get()));
    if (!engine.ok()) {
      open_errors++;
      CHECK(engine.status().Is(ErrorCode::kCorruption));
      CHECK(engine.status().message().find(logs[0]) != std::string::npos);
      CHECK(engine.status().message().find("offset") != std::string::npos);
      continue;
    }
    opened++;  // the damage was in the last record: a torn tail, dropped
    CHECK((*engine)->stats().truncated_log_bytes > 0);
    for (int i = 0; i < 50; i++) {
      auto got = (*engine)->Get(fmt::format("k{}", i));
      REQUIRE(got.ok());
      if (!got->has_value()) {
        missing++;
      } else {
        CHECK(**got == Value(i));
      }
    }
  }
  MESSAGE(fmt::format("open errors {} opened {} missing keys {}", open_errors, opened, missing));
  CHECK(open_errors > 0);
}

TEST_CASE("engine fault: a flipped byte in the manifest is Corruption naming it") {
  auto env = NewMemEnv();
  {
    auto engine = std::move(*Engine::Open(Options(env.get())));
    for (int i = 0; i < 200; i++) REQUIRE(engine->Put(fmt::format("k{}", i), Value(i)).ok());
    REQUIRE(engine->Flush().ok());
    REQUIRE(engine->Put("after", "flush").ok());
    REQUIRE(engine->Close().ok());
  }
  const auto manifests = FilesOf(env.get(), DataFileKind::kManifest);
  REQUIRE(manifests.size() == 1);
  const std::string original = *env->ReadFileToString(manifests[0]);
  for (size_t offset = 0; offset < original.size(); offset++) {
    FlipByte(env.get(), manifests[0], offset);
    auto engine = Engine::Open(Options(env.get()));
    REQUIRE_FALSE(engine.ok());
    CHECK(engine.status().Is(ErrorCode::kCorruption));
    CHECK(engine.status().message().find(manifests[0]) != std::string::npos);
    FlipByte(env.get(), manifests[0], offset);  // back to the original
  }
  // A missing manifest with data files present is an error too, not an empty store.
  REQUIRE(env->RemoveFile(manifests[0]).ok());
  auto engine = Engine::Open(Options(env.get()));
  CHECK(engine.status().Is(ErrorCode::kCorruption));
}

TEST_CASE("engine fault: a flipped byte in a table is an error or the right value") {
  const uint64_t seed = 5;
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  int errors = 0;
  for (int round = 0; round < 40; round++) {
    auto env = NewMemEnv();
    {
      auto engine = std::move(*Engine::Open(Options(env.get())));
      for (int i = 0; i < 300; i++) REQUIRE(engine->Put(fmt::format("k{}", i), Value(i)).ok());
      REQUIRE(engine->Close().ok());
    }
    const auto tables = FilesOf(env.get(), DataFileKind::kTable);
    REQUIRE(tables.size() == 1);
    FlipByte(env.get(), tables[0], rng() % *env->GetFileSize(tables[0]));
    auto engine = Engine::Open(Options(env.get()));
    if (!engine.ok()) {
      errors++;
      CHECK(engine.status().Is(ErrorCode::kCorruption));
      continue;
    }
    for (int i = 0; i < 300; i++) {
      auto got = (*engine)->Get(fmt::format("k{}", i));
      if (!got.ok()) {
        errors++;
        CHECK(got.status().Is(ErrorCode::kCorruption));
        continue;
      }
      if (got->has_value()) CHECK(**got == Value(i));
    }
  }
  MESSAGE("errors " << errors);
}

}  // namespace kv
