// SlowTableEnv: an Env over another whose SSTable writes (".sst.tmp" files: flushes and
// compactions) go at a fixed byte rate, like a slow disk, while commit-log writes go at full
// speed. Writers then outrun flushes, which is what the write slow-down and the memory budget
// are for. Test-only.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "libkv/env/env.h"

namespace kv {

class SlowTableEnv final : public Env {
 public:
  SlowTableEnv(Env* base, uint64_t table_bytes_per_second)
      : base_(base), bytes_per_second_(table_bytes_per_second) {}

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    KV_ASSIGN_OR_RETURN(auto f, base_->NewWritableFile(path));
    if (!path.ends_with(".sst.tmp")) return f;
    return std::unique_ptr<WritableFile>(new SlowFile(std::move(f), bytes_per_second_));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return base_->NewAppendableFile(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    return base_->NewRandomAccessFile(p);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewUnmappedRandomAccessFile(
      const std::string& p) override {
    return base_->NewUnmappedRandomAccessFile(p);
  }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  Result<uint64_t> GetFileSize(const std::string& p) override { return base_->GetFileSize(p); }
  Result<std::vector<std::string>> GetChildren(const std::string& d) override {
    return base_->GetChildren(d);
  }
  Status RemoveFile(const std::string& p) override { return base_->RemoveFile(p); }
  Status RenameFile(const std::string& a, const std::string& b) override {
    return base_->RenameFile(a, b);
  }
  Status TruncateFile(const std::string& p, uint64_t n) override {
    return base_->TruncateFile(p, n);
  }
  Status CreateDirs(const std::string& d) override { return base_->CreateDirs(d); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return base_->LockFile(p);
  }

 private:
  class SlowFile final : public WritableFile {
   public:
    SlowFile(std::unique_ptr<WritableFile> f, uint64_t rate) : f_(std::move(f)), rate_(rate) {}
    Status Append(std::string_view d) override {
      std::this_thread::sleep_for(std::chrono::microseconds(d.size() * 1000000 / rate_));
      return f_->Append(d);
    }
    Status Flush() override { return f_->Flush(); }
    Status Sync() override { return f_->Sync(); }
    Status Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }

   private:
    std::unique_ptr<WritableFile> f_;
    const uint64_t rate_;
  };
  Env* base_;
  const uint64_t bytes_per_second_;
};

}  // namespace kv
