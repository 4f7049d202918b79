#include "libkv/storage/engine.h"

#include <fmt/format.h>

#include "libkv/storage/engine_impl.h"

namespace kv {

Result<SyncMode> ParseSyncMode(std::string_view name) {
  if (name == "batch") return SyncMode::kBatch;
  if (name == "periodic") return SyncMode::kPeriodic;
  if (name == "off") return SyncMode::kOff;
  return Status::InvalidArgument(
      fmt::format("unknown sync mode '{}'; use batch, periodic or off", name));
}

std::string_view SyncModeName(SyncMode mode) {
  switch (mode) {
    case SyncMode::kBatch:
      return "batch";
    case SyncMode::kPeriodic:
      return "periodic";
    case SyncMode::kOff:
      return "off";
  }
  return "unknown";
}

Result<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  return EngineImpl::Open(std::move(options));
}

}  // namespace kv
