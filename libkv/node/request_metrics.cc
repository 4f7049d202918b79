#include "libkv/node/request_metrics.h"

namespace kv {

namespace {

using wire::MessageType;

constexpr std::array<uint64_t, RequestMetrics::kBucketSeconds.size()> BucketNanos() {
  std::array<uint64_t, RequestMetrics::kBucketSeconds.size()> nanos{};
  for (size_t i = 0; i < nanos.size(); ++i)
    nanos[i] = static_cast<uint64_t>(RequestMetrics::kBucketSeconds[i] * 1e9 + 0.5);
  return nanos;
}
constexpr std::array<uint64_t, RequestMetrics::kBucketSeconds.size()> kBucketNanos = BucketNanos();

// The shard of the calling thread, given on its first call: threads take shards in turn, so the
// I/O threads of a node (as many as cores) each get their own up to kShards of them.
size_t ShardOfThisThread(size_t shards) {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed);
  return shard % shards;
}

}  // namespace

RequestOp RequestOpOf(MessageType type) {
  switch (type) {
    case MessageType::kGetRequest:
      return RequestOp::kGet;
    case MessageType::kPutRequest:
      return RequestOp::kPut;
    case MessageType::kDeleteRequest:
      return RequestOp::kDelete;
    case MessageType::kReplicaReadRequest:
      return RequestOp::kReplicaRead;
    case MessageType::kReplicaWriteRequest:
      return RequestOp::kReplicaWrite;
    case MessageType::kReplicaWriteBatchRequest:
      return RequestOp::kReplicaWriteBatch;
    case MessageType::kGossipSyn:
    case MessageType::kGossipAck2:
      return RequestOp::kGossip;
    case MessageType::kRingRequest:
      return RequestOp::kRing;
    case MessageType::kMerkleLevelRequest:
      return RequestOp::kMerkleLevel;
    case MessageType::kLeafKeysRequest:
      return RequestOp::kLeafKeys;
    case MessageType::kRepairRequest:
      return RequestOp::kRepair;
    case MessageType::kLeaveRequest:
      return RequestOp::kLeave;
    case MessageType::kStatsRequest:
      return RequestOp::kStats;
    case MessageType::kCleanupRequest:
      return RequestOp::kCleanup;
    case MessageType::kRemoveRequest:
      return RequestOp::kRemove;
    case MessageType::kMetricsRequest:
      return RequestOp::kMetrics;
    case MessageType::kRepairStatusRequest:
      return RequestOp::kRepairStatus;
    default:
      return RequestOp::kOther;
  }
}

std::string_view RequestOpName(RequestOp op) {
  static constexpr std::array<std::string_view, kRequestOps> kNames = {
      "get",    "put",     "delete",       "replica_read", "replica_write", "replica_write_batch",
      "gossip", "ring",    "merkle_level", "leaf_keys",    "repair",        "leave",
      "stats",  "cleanup", "remove",       "metrics",      "repair_status", "other"};
  return kNames[static_cast<size_t>(op)];
}

RequestOutcome RequestOutcomeOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return RequestOutcome::kOk;
    case ErrorCode::kNotFound:
      return RequestOutcome::kNotFound;
    case ErrorCode::kInvalidArgument:
      return RequestOutcome::kInvalidArgument;
    case ErrorCode::kCorruption:
      return RequestOutcome::kCorruption;
    case ErrorCode::kIOError:
      return RequestOutcome::kIOError;
    case ErrorCode::kUnavailable:
      return RequestOutcome::kUnavailable;
    case ErrorCode::kTimeout:
      return RequestOutcome::kTimeout;
    case ErrorCode::kProtocol:
      return RequestOutcome::kProtocol;
    case ErrorCode::kMaybeApplied:
      return RequestOutcome::kMaybeApplied;
    case ErrorCode::kPermissionDenied:
      return RequestOutcome::kPermissionDenied;
  }
  return RequestOutcome::kProtocol;
}

std::string_view RequestOutcomeName(RequestOutcome outcome) {
  static constexpr std::array<std::string_view, kRequestOutcomes> kNames = {
      "ok",          "not_found", "invalid_argument", "corruption",    "io_error",
      "unavailable", "timeout",   "protocol",         "maybe_applied", "permission_denied"};
  return kNames[static_cast<size_t>(outcome)];
}

void RequestMetrics::Record(RequestOp op, RequestOutcome outcome, std::chrono::nanoseconds took) {
  Shard& shard = shards_[ShardOfThisThread(kShards)];
  const size_t o = static_cast<size_t>(op);
  const uint64_t nanos = took.count() > 0 ? static_cast<uint64_t>(took.count()) : 0;
  size_t bucket = 0;
  while (bucket < kBucketNanos.size() && nanos > kBucketNanos[bucket]) ++bucket;
  shard.counts[o][static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  shard.buckets[o][bucket].fetch_add(1, std::memory_order_relaxed);
  shard.nanos[o].fetch_add(nanos, std::memory_order_relaxed);
}

void RequestMetrics::Write(ExpositionWriter& out) const {
  std::array<std::array<uint64_t, kRequestOutcomes>, kRequestOps> counts{};
  std::array<std::array<uint64_t, kBuckets>, kRequestOps> buckets{};
  std::array<uint64_t, kRequestOps> nanos{};
  for (const Shard& shard : shards_)
    for (size_t op = 0; op < kRequestOps; ++op) {
      for (size_t o = 0; o < kRequestOutcomes; ++o)
        counts[op][o] += shard.counts[op][o].load(std::memory_order_relaxed);
      for (size_t b = 0; b < kBuckets; ++b)
        buckets[op][b] += shard.buckets[op][b].load(std::memory_order_relaxed);
      nanos[op] += shard.nanos[op].load(std::memory_order_relaxed);
    }
  out.Family("kv_requests_total", MetricType::kCounter,
             "Requests this node answered, by operation (the request's message type) and outcome "
             "(ok, not_found, or the error code).");
  for (size_t op = 0; op < kRequestOps; ++op)
    for (size_t o = 0; o < kRequestOutcomes; ++o)
      if (counts[op][o] > 0)
        out.Sample({{"op", RequestOpName(static_cast<RequestOp>(op))},
                    {"outcome", RequestOutcomeName(static_cast<RequestOutcome>(o))}},
                   counts[op][o]);
  out.Family("kv_request_duration_seconds", MetricType::kHistogram,
             "Time from a request's arrival at the node's service to its answer, by operation.");
  for (size_t op = 0; op < kRequestOps; ++op) {
    uint64_t seen = 0;
    for (uint64_t b : buckets[op]) seen += b;
    if (seen == 0) continue;
    out.Histogram({{"op", RequestOpName(static_cast<RequestOp>(op))}}, kBucketSeconds, buckets[op],
                  static_cast<double>(nanos[op]) / 1e9);
  }
}

}  // namespace kv
