// RequestMetrics (libkv/node/request_metrics.h): every request recorded is counted once, whichever
// thread (shard) recorded it; a duration lands in the first bucket whose bound it does not exceed;
// ops and outcomes are named as docs/metrics.md says.
#include "libkv/node/request_metrics.h"

#include <doctest/doctest.h>

#include <memory>
#include <thread>
#include <vector>

#include "libkv/observability/exposition_parser.h"

namespace kv {
namespace {

ParsedExposition Written(const RequestMetrics& metrics) {
  ExpositionWriter out;
  metrics.Write(out);
  REQUIRE(out.status().ok());
  Result<ParsedExposition> parsed = ParseExposition(out.Take());
  REQUIRE(parsed.ok());
  return *parsed;
}

TEST_CASE("request metrics: records from many threads at once are all counted") {
  auto metrics = std::make_unique<RequestMetrics>();
  constexpr int kThreads = 20;  // more than the shards: some threads share one
  constexpr int kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i)
        metrics->Record(RequestOp::kPut, RequestOutcome::kOk, std::chrono::microseconds(300));
    });
  for (std::thread& t : threads) t.join();
  const ParsedExposition m = Written(*metrics);
  CHECK(m.Value("kv_requests_total", {{"op", "put"}, {"outcome", "ok"}}) == kThreads * kEach);
  CHECK(m.Value("kv_request_duration_seconds_count", {{"op", "put"}}) == kThreads * kEach);
  // 300 us: above 250 us, within 500 us.
  CHECK(m.Value("kv_request_duration_seconds_bucket", {{"op", "put"}, {"le", "0.00025"}}) == 0);
  CHECK(m.Value("kv_request_duration_seconds_bucket", {{"op", "put"}, {"le", "0.0005"}}) ==
        kThreads * kEach);
  CHECK(m.Value("kv_request_duration_seconds_sum", {{"op", "put"}}) ==
        doctest::Approx(kThreads * kEach * 300e-6));
  // Nothing else was recorded, so nothing else is written.
  CHECK(m.Find("kv_requests_total")->samples.size() == 1);
}

TEST_CASE("request metrics: bucket bounds are inclusive, and past the last is +Inf only") {
  RequestMetrics metrics;
  metrics.Record(RequestOp::kGet, RequestOutcome::kNotFound, std::chrono::nanoseconds(50'000));
  metrics.Record(RequestOp::kGet, RequestOutcome::kNotFound, std::chrono::nanoseconds(50'001));
  metrics.Record(RequestOp::kGet, RequestOutcome::kTimeout, std::chrono::seconds(11));
  const ParsedExposition m = Written(metrics);
  auto bucket = [&](const std::string& le) {
    return m.Value("kv_request_duration_seconds_bucket", {{"op", "get"}, {"le", le}});
  };
  CHECK(bucket("5e-05") == 1);
  CHECK(bucket("0.0001") == 2);
  CHECK(bucket("10") == 2);
  CHECK(bucket("+Inf") == 3);
  CHECK(m.Value("kv_requests_total", {{"op", "get"}, {"outcome", "not_found"}}) == 2);
  CHECK(m.Value("kv_requests_total", {{"op", "get"}, {"outcome", "timeout"}}) == 1);
}

TEST_CASE("request metrics: ops from message types, outcomes from error codes") {
  CHECK(RequestOpName(RequestOpOf(wire::MessageType::kPutRequest)) == "put");
  CHECK(RequestOpName(RequestOpOf(wire::MessageType::kGossipAck2)) == "gossip");
  CHECK(RequestOpName(RequestOpOf(wire::MessageType::kReplicaWriteBatchRequest)) ==
        "replica_write_batch");
  CHECK(RequestOpName(RequestOpOf(wire::MessageType::kMetricsRequest)) == "metrics");
  CHECK(RequestOpName(RequestOpOf(wire::MessageType::kGetResponse)) == "other");
  CHECK(RequestOutcomeName(RequestOutcomeOf(ErrorCode::kOk)) == "ok");
  CHECK(RequestOutcomeName(RequestOutcomeOf(ErrorCode::kMaybeApplied)) == "maybe_applied");
  CHECK(RequestOutcomeName(RequestOutcomeOf(ErrorCode::kIOError)) == "io_error");
  // Every request type has an op of its own; every name is a valid label value and distinct.
  for (int t = 0; t < 256; ++t) {
    if (!wire::IsKnownMessageType(static_cast<uint8_t>(t))) continue;
    const auto type = static_cast<wire::MessageType>(t);
    const std::string_view name = wire::MessageTypeName(type);
    if (name.ends_with("Request") || name == "GossipSyn" || name == "GossipAck2") {
      CAPTURE(name);
      CHECK(RequestOpOf(type) != RequestOp::kOther);
    }
  }
}

}  // namespace
}  // namespace kv
