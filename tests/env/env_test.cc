#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "libkv/env/env.h"
#include "libkv/env/fault_injection_env.h"

namespace kv {
namespace {

void ExerciseEnv(Env* env, const std::string& dir) {
  REQUIRE(env->CreateDirs(dir).ok());
  const std::string path = JoinPath(dir, "a.txt");
  {
    auto f = env->NewWritableFile(path);
    REQUIRE(f.ok());
    REQUIRE((*f)->Append("hello ").ok());
    REQUIRE((*f)->Append("world").ok());
    CHECK((*f)->Size() == 11);
    REQUIRE((*f)->Sync().ok());
    REQUIRE((*f)->Close().ok());
  }
  auto contents = env->ReadFileToString(path);
  REQUIRE(contents.ok());
  CHECK(*contents == "hello world");
  {
    auto f = env->NewAppendableFile(path);
    REQUIRE(f.ok());
    REQUIRE((*f)->Append("!").ok());
    REQUIRE((*f)->Close().ok());
  }
  auto r = env->NewRandomAccessFile(path);
  REQUIRE(r.ok());
  char scratch[16];
  auto got = (*r)->Read(6, 16, scratch);
  REQUIRE(got.ok());
  CHECK(*got == "world!");

  REQUIRE(env->RenameFile(path, JoinPath(dir, "b.txt")).ok());
  CHECK_FALSE(env->FileExists(path));
  auto children = env->GetChildren(dir);
  REQUIRE(children.ok());
  CHECK(std::find(children->begin(), children->end(), "b.txt") != children->end());
  REQUIRE(env->TruncateFile(JoinPath(dir, "b.txt"), 5).ok());
  CHECK(*env->GetFileSize(JoinPath(dir, "b.txt")) == 5);
  CHECK(env->RemoveFile(JoinPath(dir, "b.txt")).ok());
  CHECK(env->RemoveFile(JoinPath(dir, "b.txt")).Is(ErrorCode::kNotFound));

  REQUIRE(env->WriteFileAtomically(JoinPath(dir, "c"), "atomic").ok());
  CHECK(*env->ReadFileToString(JoinPath(dir, "c")) == "atomic");

  auto lock = env->LockFile(JoinPath(dir, "LOCK"));
  REQUIRE(lock.ok());
  CHECK(env->LockFile(JoinPath(dir, "LOCK")).status().Is(ErrorCode::kUnavailable));
}

}  // namespace

TEST_CASE("posix env: files, renames, truncation, atomic writes, locks") {
  auto dir = std::filesystem::temp_directory_path() / ("kv_env_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ExerciseEnv(PosixEnv(), dir.string());
  std::filesystem::remove_all(dir);
}

TEST_CASE("mem env: the same contract") {
  auto env = NewMemEnv();
  ExerciseEnv(env.get(), "/mem");
}

TEST_CASE("fault injection env: a crash keeps synced bytes and drops the rest") {
  auto mem = NewMemEnv();
  FaultInjectionEnv env(mem.get());
  auto f = env.NewWritableFile("/d/log");
  REQUIRE(f.ok());
  REQUIRE((*f)->Append("durable").ok());
  REQUIRE((*f)->Sync().ok());
  REQUIRE(env.SyncDir("/d").ok());
  REQUIRE((*f)->Append(" lost").ok());
  auto g = env.NewWritableFile("/d/new");  // never made durable in its directory
  REQUIRE(g.ok());
  REQUIRE((*g)->Append("x").ok());
  REQUIRE((*g)->Sync().ok());

  REQUIRE(env.SimulateCrash().ok());
  CHECK(*env.ReadFileToString("/d/log") == "durable");
  CHECK_FALSE(env.FileExists("/d/new"));

  env.SetFilesystemActive(false);
  CHECK((*f)->Sync().Is(ErrorCode::kIOError));
  CHECK(env.NewWritableFile("/d/other").status().Is(ErrorCode::kIOError));
}

}  // namespace kv
