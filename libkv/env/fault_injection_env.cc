#include "libkv/env/fault_injection_env.h"

#include <fmt/format.h>

namespace kv {
namespace {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    if (!env_->filesystem_active()) return Status::IOError("append " + path_ + ": injected fault");
    return base_->Append(data);
  }
  Status Flush() override { return base_->Flush(); }
  Status Sync() override {
    if (!env_->filesystem_active()) return Status::IOError("sync " + path_ + ": injected fault");
    KV_RETURN_IF_ERROR(base_->Sync());
    env_->RecordSynced(path_, base_->Size());
    return Status::Ok();
  }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

void FaultInjectionEnv::SetFilesystemActive(bool active) {
  std::lock_guard lock(mu_);
  active_ = active;
}

bool FaultInjectionEnv::filesystem_active() const {
  std::lock_guard lock(mu_);
  return active_;
}

Status FaultInjectionEnv::CheckActive(const std::string& what) const {
  if (filesystem_active()) return Status::Ok();
  return Status::IOError(what + ": injected fault");
}

void FaultInjectionEnv::RecordSynced(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  synced_size_[path] = size;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  KV_RETURN_IF_ERROR(CheckActive("create " + path));
  KV_ASSIGN_OR_RETURN(auto file, base_->NewWritableFile(path));
  {
    std::lock_guard lock(mu_);
    synced_size_[path] = 0;
    not_in_dir_yet_.insert(path);
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, path, std::move(file)));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  KV_RETURN_IF_ERROR(CheckActive("open " + path));
  const bool existed = base_->FileExists(path);
  KV_ASSIGN_OR_RETURN(auto file, base_->NewAppendableFile(path));
  {
    std::lock_guard lock(mu_);
    if (!synced_size_.count(path)) synced_size_[path] = existed ? file->Size() : 0;
    if (!existed) not_in_dir_yet_.insert(path);
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, path, std::move(file)));
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  KV_RETURN_IF_ERROR(CheckActive("remove " + path));
  KV_RETURN_IF_ERROR(base_->RemoveFile(path));
  std::lock_guard lock(mu_);
  synced_size_.erase(path);
  not_in_dir_yet_.erase(path);
  return Status::Ok();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  KV_RETURN_IF_ERROR(CheckActive("rename " + from));
  KV_RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::lock_guard lock(mu_);
  if (auto it = synced_size_.find(from); it != synced_size_.end()) {
    synced_size_[to] = it->second;
    synced_size_.erase(it);
  }
  // Until the directory is synced the new name may vanish on a crash. (A real file system might
  // also bring back the old name; dropping the new one is the harsher of the two outcomes.)
  not_in_dir_yet_.erase(from);
  not_in_dir_yet_.insert(to);
  return Status::Ok();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  KV_RETURN_IF_ERROR(CheckActive("truncate " + path));
  KV_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  std::lock_guard lock(mu_);
  if (auto it = synced_size_.find(path); it != synced_size_.end() && it->second > size)
    it->second = size;
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  KV_RETURN_IF_ERROR(CheckActive("sync directory " + dir));
  KV_RETURN_IF_ERROR(base_->SyncDir(dir));
  std::lock_guard lock(mu_);
  for (auto it = not_in_dir_yet_.begin(); it != not_in_dir_yet_.end();) {
    it = DirName(*it) == dir ? not_in_dir_yet_.erase(it) : std::next(it);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::SimulateCrash() {
  std::lock_guard lock(mu_);
  for (const auto& path : not_in_dir_yet_) {
    if (base_->FileExists(path)) KV_RETURN_IF_ERROR(base_->RemoveFile(path));
    synced_size_.erase(path);
  }
  not_in_dir_yet_.clear();
  for (const auto& [path, size] : synced_size_) {
    if (!base_->FileExists(path)) continue;
    KV_ASSIGN_OR_RETURN(uint64_t now, base_->GetFileSize(path));
    if (now > size) KV_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  }
  return Status::Ok();
}

}  // namespace kv
