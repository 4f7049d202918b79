// FaultInjectionEnv: an Env over another (usually NewMemEnv()) that remembers what was made
// durable, so a test can simulate power loss: SimulateCrash() drops every byte not covered by a
// WritableFile::Sync and every file whose creation was not covered by a SyncDir of its directory.
// It can also make the file system fail (every write, sync and rename returns IOError), to test
// that an fsync failure stops the engine. A test seam only: never used outside tests.
//
// Threads: safe to use from many threads; SimulateCrash() must run while no file is being written
// (close the engine, or abandon it, first).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "libkv/env/env.h"

namespace kv {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // Drops unsynced bytes and files not yet made durable in their directory.
  Status SimulateCrash();
  // While false, every Append, Sync, rename and new file fails with IOError.
  void SetFilesystemActive(bool active);
  bool filesystem_active() const;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewUnmappedRandomAccessFile(
      const std::string& path) override {
    return base_->NewUnmappedRandomAccessFile(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }

  // Called by the files this Env hands out.
  void RecordSynced(const std::string& path, uint64_t size);

 private:
  Status CheckActive(const std::string& what) const;

  Env* base_;
  mutable std::mutex mu_;
  bool active_ = true;
  std::map<std::string, uint64_t> synced_size_;  // files written through this Env
  std::set<std::string> not_in_dir_yet_;         // created or renamed, directory not synced
};

}  // namespace kv
