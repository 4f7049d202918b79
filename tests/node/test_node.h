// Test helpers: a fresh temporary directory, a real Engine over it (POSIX env), and a Node
// serving it on 127.0.0.1 with a free port.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <doctest/doctest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "libkv/env/env.h"
#include "libkv/node/node.h"
#include "libkv/storage/engine.h"

namespace kv {

inline std::string TempDir(const std::string& name) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("kv-" + name + "-XXXXXX")).string();
  const char* made = mkdtemp(pattern.data());
  return made ? std::string(made) : std::string();
}

// Under AddressSanitizer freed memory waits in a quarantine and every allocation has shadow
// memory (ThreadSanitizer's shadow is larger still): the process's RSS then says nothing about
// the code's, and RSS checks are skipped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kRssIsMeaningful = false;
#else
inline constexpr bool kRssIsMeaningful = true;
#endif

// A field of /proc/self/status in bytes (VmRSS, RssAnon, RssFile), 0 when missing.
inline uint64_t ProcStatusBytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) << 10;
  return 0;
}

inline Result<std::unique_ptr<Engine>> OpenTestEngine(const std::string& dir) {
  EngineOptions options;
  options.env = PosixEnv();
  options.dir = dir;
  return Engine::Open(std::move(options));
}

inline std::shared_ptr<spdlog::logger> QuietLogger() {
  return std::make_shared<spdlog::logger>("node-test",
                                          std::make_shared<spdlog::sinks::null_sink_mt>());
}

// A running node over a fresh data directory; stopped and removed at the end.
struct TestNode {
  explicit TestNode(std::string cluster = "kv", ConnectionLimits limits = {},
                    size_t max_connections = 1024, size_t memory_budget = kDefaultMemoryBudget,
                    size_t max_connections_per_address = NodeConfig().max_connections_per_address) {
    dir = TempDir("node");
    NodeConfig config;
    config.connection = limits;
    config.max_connections_per_address = max_connections_per_address;
    config.max_connections = max_connections;
    config.memory_budget = memory_budget;
    config.listen = "127.0.0.1:0";
    config.data_dir = dir;
    config.cluster_name = std::move(cluster);
    config.io_threads = 2;
    config.engine_threads = 8;
    auto engine = OpenTestEngine(dir);
    REQUIRE(engine.ok());
    auto n = Node::Start(config, PosixEnv(), std::move(*engine), QuietLogger());
    REQUIRE(n.ok());
    node = std::move(*n);
  }
  ~TestNode() {
    if (node) CHECK(node->Stop().ok());
    node.reset();
    std::filesystem::remove_all(dir);
  }
  HostPort address() const { return node->address(); }

  std::string dir;
  std::unique_ptr<Node> node;
};

}  // namespace kv
