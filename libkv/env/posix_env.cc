// The real Env over POSIX calls. Writable files buffer appends in user space (64 KiB) so that
// small commit-log records cost no system call each; Sync uses fdatasync. Random-access files
// are memory-mapped when they can be, so table reads cost no system call and no copy.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "libkv/env/env.h"

namespace kv {
namespace {

Status PosixError(std::string_view what, const std::string& path, int err) {
  std::string m = fmt::format("{} {}: {}", what, path, std::strerror(err));
  if (err == ENOENT) return Status::NotFound(std::move(m));
  if (err == ENOSPC) m += " (free some disk space, then restart)";
  return Status::IOError(std::move(m));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {
    buffer_.reserve(kBufferBytes);
  }
  ~PosixWritableFile() override {
    if (fd_ >= 0) (void)Close();
  }

  Status Append(std::string_view data) override {
    size_ += data.size();
    if (buffer_.size() + data.size() <= kBufferBytes) {
      buffer_.append(data);
      return Status::Ok();
    }
    KV_RETURN_IF_ERROR(Flush());
    if (data.size() <= kBufferBytes) {
      buffer_.append(data);
      return Status::Ok();
    }
    return WriteAll(data);
  }

  Status Flush() override {
    if (buffer_.empty()) return Status::Ok();
    Status s = WriteAll(buffer_);
    buffer_.clear();
    return s;
  }

  Status Sync() override {
    KV_RETURN_IF_ERROR(Flush());
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    Status s = Flush();
    if (::close(fd_) != 0 && s.ok()) s = PosixError("close", path_, errno);
    fd_ = -1;
    return s;
  }

  uint64_t Size() const override { return size_; }

 private:
  static constexpr size_t kBufferBytes = 64 * 1024;

  Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  std::string path_;
  int fd_;
  uint64_t size_;
  std::string buffer_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Result<std::string_view> Read(uint64_t offset, size_t n, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return PosixError(fmt::format("pread at offset {} of", offset + done), path_, errno);
      }
      if (got == 0) break;  // end of file
      done += static_cast<size_t>(got);
    }
    return std::string_view(scratch, done);
  }

  uint64_t Size() const override { return size_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

// Tables are immutable and read at random: mapping them lets Read return a view into the page
// cache with no system call and no copy (LevelDB does the same). A mapped file must not shrink
// while mapped; kv only truncates commit logs, which it reads through ReadFileToString and closes
// first.
class MmapRandomAccessFile final : public RandomAccessFile {
 public:
  MmapRandomAccessFile(const char* base, uint64_t size) : base_(base), size_(size) {}
  ~MmapRandomAccessFile() override { ::munmap(const_cast<char*>(base_), size_); }

  Result<std::string_view> Read(uint64_t offset, size_t n, char*) const override {
    if (offset >= size_) return std::string_view(base_, 0);
    return std::string_view(base_ + offset, std::min<uint64_t>(n, size_ - offset));
  }
  uint64_t Size() const override { return size_; }

 private:
  const char* base_;
  uint64_t size_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // closing releases the flock

 private:
  int fd_;
};

class PosixEnvImpl final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return OpenForWrite(path, O_TRUNC);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return OpenForWrite(path, O_APPEND);
  }

  Result<std::unique_ptr<RandomAccessFile>> NewUnmappedRandomAccessFile(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    KV_ASSIGN_OR_RETURN(uint64_t size, SizeOrClose(fd, path));
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd, size));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return PosixError("stat", path, err);
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > 0 && S_ISREG(st.st_mode)) {
      void* base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (base != MAP_FAILED) {
        ::close(fd);  // the mapping keeps the file
        return std::unique_ptr<RandomAccessFile>(
            new MmapRandomAccessFile(static_cast<const char*>(base), size));
      }
    }
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd, size));
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      names.push_back(e.path().filename().string());
    }
    if (ec) return PosixError("list", dir, ec.value());
    return names;
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("remove", path, errno);
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return PosixError("rename", from + " to " + to, errno);
    return Status::Ok();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
      return PosixError("truncate", path, errno);
    return Status::Ok();
  }

  Status CreateDirs(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return PosixError("create directory", dir, ec.value());
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("open directory", dir, errno);
    Status s;
    if (::fsync(fd) != 0) s = PosixError("fsync directory", dir, errno);
    ::close(fd);
    return s;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open lock file", path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK)
        return Status::Unavailable(fmt::format(
            "{} is locked: another kvnode is using this data directory; stop it or pick another "
            "--data-dir",
            path));
      return PosixError("lock", path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

 private:
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path, int mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | mode, 0644);
    if (fd < 0) return PosixError("open", path, errno);
    KV_ASSIGN_OR_RETURN(uint64_t size, SizeOrClose(fd, path));
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, size));
  }

  // The size of an open file; on failure the descriptor is closed, so callers just return.
  static Result<uint64_t> SizeOrClose(int fd, const std::string& path) {
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return PosixError("stat", path, err);
    }
    return static_cast<uint64_t>(st.st_size);
  }
};

}  // namespace

Env* PosixEnv() {
  static PosixEnvImpl* env = new PosixEnvImpl;  // never destroyed: files may outlive main's locals
  return env;
}

}  // namespace kv
