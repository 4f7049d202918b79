// Env: every file operation kv makes goes through this interface, so that tests can swap the disk
// for memory (NewMemEnv) or for one that loses unsynced bytes on a simulated crash
// (FaultInjectionEnv). The POSIX Env is the real one (PosixEnv()).
//
// Paths are plain strings; directories are separated by '/'. An Env and the files it opens may
// be used from several threads at once, but one file object is used by one thread at a time
// unless its comment says otherwise (RandomAccessFile::Read is safe to call concurrently).
// Durability: bytes reach stable storage only through WritableFile::Sync; a file's existence and
// name (create, rename, remove) only through SyncDir of its directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"

namespace kv {

// A file being written from its end. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Hands buffered bytes to the operating system (they survive a process crash, not power loss).
  virtual Status Flush() = 0;
  // Flush, then make the bytes durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Bytes appended so far, including any still buffered.
  virtual uint64_t Size() const = 0;
};

// A file read at any offset. Read is safe from several threads at once.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch (which must hold n bytes) and returns the bytes
  // read, which may point into scratch or into the file's own memory. Fewer than n only at EOF.
  virtual Result<std::string_view> Read(uint64_t offset, size_t n, char* scratch) const = 0;
  virtual uint64_t Size() const = 0;
};

// Held while a data directory is in use, so that two processes never share one. Released when
// destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // Creates or truncates.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens for appending at the current end, creating it when missing.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // The same, read with pread and never mapped: the file's pages stay in the kernel's page cache,
  // out of the process's resident memory (a node under a memory budget). Envs that never map
  // keep this default.
  virtual Result<std::unique_ptr<RandomAccessFile>> NewUnmappedRandomAccessFile(
      const std::string& path) {
    return NewRandomAccessFile(path);
  }

  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces `to` when it exists.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Creates dir and its missing parents; Ok when it already exists.
  virtual Status CreateDirs(const std::string& dir) = 0;
  // Makes the creations, renames and removals of dir's entries durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Fails with Unavailable, naming the holder when it can, if another process holds the lock.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Reads a whole file; for small files (manifests, tests).
  Result<std::string> ReadFileToString(const std::string& path);
  // Writes data to path through a temporary file: write, sync, rename, sync the directory.
  Status WriteFileAtomically(const std::string& path, std::string_view data);
};

// The real file system. One per process is enough; it lives forever.
Env* PosixEnv();

// A file system in memory, for tests. Owned by the caller.
std::unique_ptr<Env> NewMemEnv();

// "dir/name"
std::string JoinPath(std::string_view dir, std::string_view name);
// The directory part of a path ("." when there is none).
std::string DirName(std::string_view path);

}  // namespace kv
