// GatedSyncEnv: an Env over another whose commit-log syncs (".log" files) wait while the gate is
// closed, so a test can hold the engine's commit thread inside an fsync: writes are decided and
// queued behind it, and a crash can be simulated before the sync. Test-only.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "libkv/env/forwarding_env.h"

namespace kv {

class GatedSyncEnv final : public ForwardingEnv {
 public:
  explicit GatedSyncEnv(Env* base) : ForwardingEnv(base) {}

  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // Returns once a sync is waiting at the closed gate.
  void WaitForBlockedSync() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_ > 0; });
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    KV_ASSIGN_OR_RETURN(auto f, base()->NewWritableFile(path));
    if (!path.ends_with(".log")) return f;
    return std::unique_ptr<WritableFile>(new GatedFile(std::move(f), this));
  }

 private:
  class GatedFile final : public ForwardingWritableFile {
   public:
    GatedFile(std::unique_ptr<WritableFile> f, GatedSyncEnv* env)
        : ForwardingWritableFile(std::move(f)), env_(env) {}
    Status Sync() override {
      {
        std::unique_lock lock(env_->mu_);
        ++env_->waiting_;
        env_->cv_.notify_all();
        env_->cv_.wait(lock, [&] { return env_->open_; });
        --env_->waiting_;
      }
      return ForwardingWritableFile::Sync();
    }

   private:
    GatedSyncEnv* env_;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int waiting_ = 0;
};

}  // namespace kv
