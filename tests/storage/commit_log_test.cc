#include <doctest/doctest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "libkv/env/env.h"
#include "libkv/storage/commit_log.h"
#include "libkv/storage/commit_log_format.h"

namespace kv {
namespace {

struct Write {
  SequenceNumber seq;
  EntryKind kind;
  std::string key;
  std::string value;
  bool operator==(const Write&) const = default;
};

std::string Key(int i) {
  std::string k = "k";
  k += std::to_string(i);
  return k;
}

// Writes records: a single write, a batch of three, then `singles` more single writes.
std::vector<Write> WriteLog(Env* env, const std::string& path, int singles) {
  std::vector<Write> want;
  auto file = env->NewWritableFile(path);
  REQUIRE(file.ok());
  CommitLogWriter log(path, 1, std::move(*file));
  std::string buf;
  EncodeWriteRecord(&buf, 1, EntryKind::kValue, "alpha", "one");
  want.push_back({1, EntryKind::kValue, "alpha", "one"});
  BatchRecordBuilder batch(&buf, 2, 3);
  batch.Add(EntryKind::kValue, "beta", std::string(300, 'b'));
  batch.Add(EntryKind::kTombstone, "alpha", "");
  batch.Add(EntryKind::kValue, "gamma", "");
  batch.Finish();
  want.push_back({2, EntryKind::kValue, "beta", std::string(300, 'b')});
  want.push_back({3, EntryKind::kTombstone, "alpha", ""});
  want.push_back({4, EntryKind::kValue, "gamma", ""});
  REQUIRE(log.Append(buf).ok());
  for (int i = 0; i < singles; i++) {
    buf.clear();
    const SequenceNumber seq = 5 + i;
    EncodeWriteRecord(&buf, seq, EntryKind::kValue, Key(i), "v");
    want.push_back({seq, EntryKind::kValue, Key(i), "v"});
    REQUIRE(log.Append(buf).ok());
  }
  REQUIRE(log.Sync().ok());
  REQUIRE(log.Close(true).ok());
  return want;
}

Result<ReplayResult> Replay(Env* env, const std::string& path, std::vector<Write>* got) {
  got->clear();
  return ReplayCommitLog(env, path, [&](const EntryView& e) {
    got->push_back({e.seq, e.kind, std::string(e.key), std::string(e.value)});
  });
}

void FlipByte(Env* env, const std::string& path, size_t offset) {
  auto contents = env->ReadFileToString(path);
  REQUIRE(contents.ok());
  (*contents)[offset] ^= 0x40;
  auto f = env->NewWritableFile(path);
  REQUIRE(f.ok());
  REQUIRE((*f)->Append(*contents).ok());
  REQUIRE((*f)->Close().ok());
}

}  // namespace

TEST_CASE("commit log: single and batch records round trip") {
  auto env = NewMemEnv();
  const auto want = WriteLog(env.get(), "/d/000001.log", 10);
  std::vector<Write> got;
  auto r = Replay(env.get(), "/d/000001.log", &got);
  REQUIRE(r.ok());
  CHECK(got == want);
  CHECK(r->records == want.size());
  CHECK(r->max_seq == 14);
  CHECK(r->truncated_bytes == 0);
}

TEST_CASE("commit log: a torn tail is truncated and reported, at every cut point") {
  auto env = NewMemEnv();
  const std::string path = "/d/000001.log";
  const auto full = WriteLog(env.get(), path, 3);
  const std::string contents = *env->ReadFileToString(path);
  // Record boundaries: where each complete prefix of records ends.
  const size_t last_record = commit_log::kHeaderBytes + 1 + 1 + 3 + 1 + 1;  // k2 -> v
  for (size_t cut = contents.size() - last_record; cut < contents.size(); cut++) {
    auto f = env->NewWritableFile(path);
    REQUIRE((*f)->Append(std::string_view(contents).substr(0, cut)).ok());
    REQUIRE((*f)->Close().ok());
    std::vector<Write> got;
    auto r = Replay(env.get(), path, &got);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    const size_t boundary = contents.size() - last_record;
    CHECK(r->truncated_bytes == cut - boundary);
    CHECK(got == std::vector<Write>(full.begin(), full.end() - 1));
    CHECK(*env->GetFileSize(path) == boundary);
  }
}

TEST_CASE("commit log: a bad checksum in the last record, or garbage after it, is a torn tail") {
  auto env = NewMemEnv();
  const std::string path = "/d/000001.log";
  const auto full = WriteLog(env.get(), path, 3);
  const uint64_t size = *env->GetFileSize(path);
  FlipByte(env.get(), path, size - 1);  // inside the last record's payload
  std::vector<Write> got;
  auto r = Replay(env.get(), path, &got);
  REQUIRE(r.ok());
  CHECK(r->truncated_bytes > 0);
  CHECK(got == std::vector<Write>(full.begin(), full.end() - 1));

  // Zeroes after the last record (a file system that extended the file before the crash).
  WriteLog(env.get(), path, 3);
  {
    auto f = env->NewAppendableFile(path);
    REQUIRE((*f)->Append(std::string(100, '\0')).ok());
    REQUIRE((*f)->Close().ok());
  }
  r = Replay(env.get(), path, &got);
  REQUIRE(r.ok());
  CHECK(r->truncated_bytes == 100);
  CHECK(got == full);
}

TEST_CASE("commit log: damage in the middle is Corruption naming the file and offset") {
  auto env = NewMemEnv();
  const std::string path = "/d/000007.log";
  WriteLog(env.get(), path, 5);
  // The batch record starts right after the first record.
  const size_t first_record = commit_log::kHeaderBytes + 1 + 1 + 1 + 5 + 1 + 3;
  for (size_t offset : {size_t{0}, size_t{3}, size_t{6}, size_t{8}, first_record + 20}) {
    WriteLog(env.get(), path, 5);
    FlipByte(env.get(), path, offset);
    std::vector<Write> got;
    auto r = Replay(env.get(), path, &got);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().Is(ErrorCode::kCorruption));
    const size_t record_start = offset < first_record ? 0 : first_record;
    CAPTURE(r.status().ToString());
    CHECK(r.status().message().find(path) != std::string::npos);
    CHECK(r.status().message().find(fmt::format("offset {}", record_start)) != std::string::npos);
  }
}

}  // namespace kv
