// RequestMetrics: every request a node answers (NodeService::Answer, whichever way it came),
// counted by operation and outcome and timed, for kv_requests_total{op,outcome} and
// kv_request_duration_seconds{op} (docs/metrics.md). The operation is the request's message type
// (RequestOpOf); the outcome its answer's: ok, not_found (an error NotFound, or a get that found
// nothing), or the error code's name.
//
// Record is on every request's path (issue 12 measures the put's CPU closely), so it takes no
// lock and shares no cache line between threads: the figures live in shards, each on its own
// cache lines, and a thread adds to the shard it was given on its first Record (round robin) with
// relaxed atomic adds (three per request). Reading them (Write, for a scrape) sums the shards, so
// a scrape may see a request counted and not yet timed; each figure only grows.
// Thread-safe: Record from any number of threads at once, Write from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/wire_format.h"
#include "libkv/observability/exposition.h"

namespace kv {

enum class RequestOp : uint8_t {
  kGet,
  kPut,
  kDelete,
  kReplicaRead,
  kReplicaWrite,
  kReplicaWriteBatch,
  kGossip,  // GossipSyn and GossipAck2
  kRing,
  kMerkleLevel,
  kLeafKeys,
  kRepair,
  kLeave,
  kStats,
  kCleanup,
  kRemove,
  kMetrics,
  kRepairStatus,
  kOther,  // a frame that is no request (answered with a Protocol error)
};
inline constexpr size_t kRequestOps = static_cast<size_t>(RequestOp::kOther) + 1;

RequestOp RequestOpOf(wire::MessageType type);
std::string_view RequestOpName(RequestOp op);  // the `op` label: "get", "replica_write", ...

enum class RequestOutcome : uint8_t {
  kOk,
  kNotFound,
  kInvalidArgument,
  kCorruption,
  kIOError,
  kUnavailable,
  kTimeout,
  kProtocol,
  kMaybeApplied,
  kPermissionDenied,
};
inline constexpr size_t kRequestOutcomes =
    static_cast<size_t>(RequestOutcome::kPermissionDenied) + 1;

RequestOutcome RequestOutcomeOf(ErrorCode code);
std::string_view RequestOutcomeName(RequestOutcome outcome);  // "ok", "not_found", "io_error", ...

class RequestMetrics {
 public:
  // Upper bounds of the duration buckets, in seconds: 50 us (a replica read from the memtable)
  // to 10 s (past any request timeout), about three a decade.
  static constexpr std::array<double, 17> kBucketSeconds = {
      50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3,
      50e-3, 100e-3, 250e-3, 500e-3, 1,    2.5,    5,    10};
  static constexpr size_t kBuckets = kBucketSeconds.size() + 1;  // and one above the last

  void Record(RequestOp op, RequestOutcome outcome, std::chrono::nanoseconds took);

  // kv_requests_total and kv_request_duration_seconds: a sample for each operation and outcome
  // seen (a counter appears once it is not zero), a histogram for each operation seen.
  void Write(ExpositionWriter& out) const;

 private:
  static constexpr size_t kShards = 16;
  struct alignas(64) Shard {
    std::array<std::array<std::atomic<uint64_t>, kRequestOutcomes>, kRequestOps> counts{};
    std::array<std::array<std::atomic<uint64_t>, kBuckets>, kRequestOps> buckets{};
    std::array<std::atomic<uint64_t>, kRequestOps> nanos{};
  };
  std::array<Shard, kShards> shards_{};
};

}  // namespace kv
