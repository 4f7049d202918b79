// SlowTableEnv: an Env over another whose SSTable writes (".sst.tmp" files: flushes and
// compactions) go at a fixed byte rate, like a slow disk, while commit-log writes go at full
// speed. Writers then outrun flushes, which is what the write slow-down and the memory budget
// are for. Test-only.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "libkv/env/forwarding_env.h"

namespace kv {

class SlowTableEnv final : public ForwardingEnv {
 public:
  SlowTableEnv(Env* base, uint64_t table_bytes_per_second)
      : ForwardingEnv(base), bytes_per_second_(table_bytes_per_second) {}

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    KV_ASSIGN_OR_RETURN(auto f, base()->NewWritableFile(path));
    if (!path.ends_with(".sst.tmp")) return f;
    return std::unique_ptr<WritableFile>(new SlowFile(std::move(f), bytes_per_second_));
  }

 private:
  class SlowFile final : public ForwardingWritableFile {
   public:
    SlowFile(std::unique_ptr<WritableFile> f, uint64_t rate)
        : ForwardingWritableFile(std::move(f)), rate_(rate) {}
    Status Append(std::string_view d) override {
      std::this_thread::sleep_for(std::chrono::microseconds(d.size() * 1000000 / rate_));
      return ForwardingWritableFile::Append(d);
    }

   private:
    const uint64_t rate_;
  };
  const uint64_t bytes_per_second_;
};

}  // namespace kv
