// A logger that drops everything, for engine tests whose faults are expected (so the test output
// shows only what the tests print).
#pragma once

#include <memory>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

namespace kv::testing {

inline std::shared_ptr<spdlog::logger> QuietLogger() {
  return std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>());
}

}  // namespace kv::testing
