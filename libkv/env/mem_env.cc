// An Env whose files live in memory, for tests. Directories exist implicitly: a file's directory
// is the part of its path before the last '/'. Everything is durable at once (there is no power
// to lose); FaultInjectionEnv layers lost writes on top.
#include <algorithm>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "libkv/env/env.h"

namespace kv {
namespace {

struct FileState {
  mutable std::mutex mu;
  std::string data;
};

class MemWritableFile final : public WritableFile {
 public:
  explicit MemWritableFile(std::shared_ptr<FileState> f) : f_(std::move(f)) {}
  Status Append(std::string_view data) override {
    std::lock_guard lock(f_->mu);
    f_->data.append(data);
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  Status Sync() override { return Status::Ok(); }
  Status Close() override { return Status::Ok(); }
  uint64_t Size() const override {
    std::lock_guard lock(f_->mu);
    return f_->data.size();
  }

 private:
  std::shared_ptr<FileState> f_;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::shared_ptr<FileState> f) : f_(std::move(f)) {}
  Result<std::string_view> Read(uint64_t offset, size_t n, char* scratch) const override {
    std::lock_guard lock(f_->mu);
    if (offset >= f_->data.size()) return std::string_view(scratch, 0);
    const size_t len = std::min<uint64_t>(n, f_->data.size() - offset);
    std::copy_n(f_->data.data() + offset, len, scratch);
    return std::string_view(scratch, len);
  }
  uint64_t Size() const override {
    std::lock_guard lock(f_->mu);
    return f_->data.size();
  }

 private:
  std::shared_ptr<FileState> f_;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::mutex* mu, std::map<std::string, bool>* locks, std::string path)
      : mu_(mu), locks_(locks), path_(std::move(path)) {}
  ~MemFileLock() override {
    std::lock_guard lock(*mu_);
    locks_->erase(path_);
  }

 private:
  std::mutex* mu_;
  std::map<std::string, bool>* locks_;
  std::string path_;
};

class MemEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    std::lock_guard lock(mu_);
    auto f = std::make_shared<FileState>();
    files_[path] = f;
    return std::unique_ptr<WritableFile>(new MemWritableFile(f));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    std::lock_guard lock(mu_);
    auto& f = files_[path];
    if (!f) f = std::make_shared<FileState>();
    return std::unique_ptr<WritableFile>(new MemWritableFile(f));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(fmt::format("open {}: no such file", path));
    return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(it->second));
  }
  bool FileExists(const std::string& path) override {
    std::lock_guard lock(mu_);
    return files_.count(path) > 0;
  }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(fmt::format("stat {}: no such file", path));
    std::lock_guard flock(it->second->mu);
    return static_cast<uint64_t>(it->second->data.size());
  }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> names;
    for (const auto& [path, f] : files_) {
      if (DirName(path) == dir) names.push_back(path.substr(path.rfind('/') + 1));
    }
    return names;
  }
  Status RemoveFile(const std::string& path) override {
    std::lock_guard lock(mu_);
    if (files_.erase(path) == 0)
      return Status::NotFound(fmt::format("remove {}: no such file", path));
    return Status::Ok();
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(from);
    if (it == files_.end()) return Status::NotFound(fmt::format("rename {}: no such file", from));
    auto f = it->second;
    files_.erase(it);
    files_[to] = std::move(f);
    return Status::Ok();
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(fmt::format("truncate {}: no such file", path));
    std::lock_guard flock(it->second->mu);
    it->second->data.resize(size);
    return Status::Ok();
  }
  Status CreateDirs(const std::string&) override { return Status::Ok(); }
  Status SyncDir(const std::string&) override { return Status::Ok(); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    std::lock_guard lock(mu_);
    if (locks_.count(path))
      return Status::Unavailable(fmt::format("{} is locked by another user of this Env", path));
    locks_[path] = true;
    if (!files_.count(path)) files_[path] = std::make_shared<FileState>();
    return std::unique_ptr<FileLock>(new MemFileLock(&mu_, &locks_, path));
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<FileState>> files_;
  std::map<std::string, bool> locks_;
};

}  // namespace

std::unique_ptr<Env> NewMemEnv() {
  return std::make_unique<MemEnv>();
}

}  // namespace kv
