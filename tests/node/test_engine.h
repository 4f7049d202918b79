// Test helpers: a fresh temporary directory and a real Engine over it (POSIX env).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "libkv/env/env.h"
#include "libkv/storage/engine.h"

namespace kv {

inline std::string TempDir(const std::string& name) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("kv-" + name + "-XXXXXX")).string();
  const char* made = mkdtemp(pattern.data());
  return made ? std::string(made) : std::string();
}

inline Result<std::unique_ptr<Engine>> OpenTestEngine(const std::string& dir) {
  EngineOptions options;
  options.env = PosixEnv();
  options.dir = dir;
  return Engine::Open(std::move(options));
}

}  // namespace kv
