#include "libkv/node/memory_budget.h"

#include <algorithm>

#include <fmt/format.h>

#include "libkv/net/wire_format.h"

namespace kv {

MemoryBudget SplitMemoryBudget(size_t total, size_t memtable_bytes) {
  total = std::max(total, kMinMemoryBudget);
  MemoryBudget b;
  b.total = total;
  b.connection_bytes = std::max(total / 8, wire::kMaxFrameLength);
  const size_t rest = total - b.connection_bytes;
  b.memtable_share = rest / 8 * 3;
  b.merkle_cache_bytes = rest / 16;
  b.repair_session_bytes = rest / 32;
  // The cache charges every open table's index and filter against its capacity (pinned), so
  // they and the data blocks share one figure.
  b.block_cache_bytes = rest - b.memtable_share - b.merkle_cache_bytes - b.repair_session_bytes;
  // Memtables stay at the engine's measured 8 MiB (larger ones insert slower) and the share
  // buys more of them, so a burst has room to be slowed smoothly before writes stop; a small
  // share splits into at least three (one filling, one flushing, one queued).
  b.memtable_bytes = memtable_bytes != 0 ? memtable_bytes
                                         : std::min<size_t>(8 << 20, b.memtable_share / 3 * 8 / 9);
  const size_t per_memtable = b.memtable_bytes + b.memtable_bytes / 8;  // index and arena slack
  const size_t memtables = std::max<size_t>(2, b.memtable_share / per_memtable);
  b.max_immutable_memtables = memtables - 1;
  return b;
}

void ApplyMemoryBudget(const MemoryBudget& budget, EngineOptions* options) {
  options->memtable_bytes = budget.memtable_bytes;
  options->max_immutable_memtables = budget.max_immutable_memtables;
  options->block_cache_bytes = budget.block_cache_bytes;
  options->map_tables = false;  // mapped pages would count in the node's RSS, outside any budget
}

Status CheckMemoryBudget(size_t total) {
  if (total < kMinMemoryBudget)
    return Status::InvalidArgument(
        fmt::format("memory budget is {} MiB; it must be at least {} MiB (one largest request "
                    "besides a working engine)",
                    total >> 20, kMinMemoryBudget >> 20));
  return Status::Ok();
}

}  // namespace kv
