// CountdownEnv: a crash at an exact step. Passes everything to a FaultInjectionEnv and cuts its
// power (SetFilesystemActive(false)) at the n-th file-system change (a file created, appended,
// synced, renamed, removed or truncated, a directory synced) counted from construction or from
// Arm: a crash at an exact step of whatever runs on top. Thread-safe as its base is.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/env/fault_injection_env.h"

namespace kv {

class CountdownEnv final : public Env {
 public:
  // steps 0: not armed (no crash until Arm).
  CountdownEnv(FaultInjectionEnv* base, int steps) : base_(base), left_(steps) {}
  // Counts `steps` changes from now.
  void Arm(int steps) { left_ = steps; }
  bool fired() const { return fired_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    Step();
    KV_ASSIGN_OR_RETURN(auto f, base_->NewWritableFile(p));
    return std::unique_ptr<WritableFile>(new File(this, std::move(f)));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& p) override {
    Step();
    KV_ASSIGN_OR_RETURN(auto f, base_->NewAppendableFile(p));
    return std::unique_ptr<WritableFile>(new File(this, std::move(f)));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& p) override {
    return base_->NewRandomAccessFile(p);
  }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  Result<uint64_t> GetFileSize(const std::string& p) override { return base_->GetFileSize(p); }
  Result<std::vector<std::string>> GetChildren(const std::string& d) override {
    return base_->GetChildren(d);
  }
  Status RemoveFile(const std::string& p) override { return Step(), base_->RemoveFile(p); }
  Status RenameFile(const std::string& a, const std::string& b) override {
    return Step(), base_->RenameFile(a, b);
  }
  Status TruncateFile(const std::string& p, uint64_t n) override {
    return Step(), base_->TruncateFile(p, n);
  }
  Status CreateDirs(const std::string& d) override { return base_->CreateDirs(d); }
  Status SyncDir(const std::string& d) override { return Step(), base_->SyncDir(d); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return base_->LockFile(p);
  }

 private:
  class File final : public WritableFile {
   public:
    File(CountdownEnv* env, std::unique_ptr<WritableFile> f) : env_(env), f_(std::move(f)) {}
    Status Append(std::string_view d) override { return env_->Step(), f_->Append(d); }
    Status Flush() override { return f_->Flush(); }
    Status Sync() override { return env_->Step(), f_->Sync(); }
    Status Close() override { return f_->Close(); }
    uint64_t Size() const override { return f_->Size(); }

   private:
    CountdownEnv* env_;
    std::unique_ptr<WritableFile> f_;
  };

  void Step() {
    if (left_.load() > 0 && --left_ == 0) {
      fired_ = true;
      base_->SetFilesystemActive(false);
    }
  }

  FaultInjectionEnv* base_;
  std::atomic<int> left_;
  std::atomic<bool> fired_{false};
};

}  // namespace kv
