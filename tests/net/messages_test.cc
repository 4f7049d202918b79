#include <doctest/doctest.h>

#include <random>

#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/frame.h"
#include "libkv/net/messages.h"
#include "libkv/net/replica_messages.h"

namespace kv {

TEST_CASE("messages round-trip") {
  std::string binary_value;
  for (int i = 0; i < 256; ++i) binary_value.push_back(static_cast<char>(i));

  PutRequest put{.key = std::string("k\0ey", 4),
                 .value = binary_value,
                 .context = "ctx\x01",
                 .w = 2,
                 .forwarded = true};
  auto put2 = DecodeMessage<PutRequest>(EncodeMessage(put));
  REQUIRE(put2.ok());
  CHECK(put2->key == put.key);
  CHECK(put2->key.size() == 4);
  CHECK(put2->value == binary_value);
  CHECK(put2->context == "ctx\x01");
  CHECK(put2->w == 2);
  CHECK(put2->forwarded);

  auto blind = DecodeMessage<PutRequest>(EncodeMessage(
      PutRequest{.key = "k", .value = "", .context = "", .w = 0, .forwarded = false}));
  REQUIRE(blind.ok());
  CHECK(blind->context.empty());
  CHECK(blind->w == 0);
  CHECK_FALSE(blind->forwarded);

  auto get = DecodeMessage<GetRequest>(EncodeMessage(GetRequest{.key = "k", .r = 3}));
  REQUIRE(get.ok());
  CHECK(get->key == "k");
  CHECK(get->r == 3);
  CHECK(get->local_zone.empty());

  auto local = DecodeMessage<GetRequest>(
      EncodeMessage(GetRequest{.key = "k", .r = 0, .local_zone = "eu-west"}));
  REQUIRE(local.ok());
  CHECK(local->local_zone == "eu-west");
  auto local_delete =
      DecodeMessage<DeleteRequest>(EncodeMessage(DeleteRequest{.key = "k",
                                                               .context = "",
                                                               .w = 0,
                                                               .forwarded = true,
                                                               .primaries_only = false,
                                                               .local_zone = "b"}));
  REQUIRE(local_delete.ok());
  CHECK(local_delete->local_zone == "b");
  CHECK(local_delete->forwarded);

  GetResponse got{.found = true, .siblings = binary_value, .context = "merged"};
  auto got2 = DecodeMessage<GetResponse>(EncodeMessage(got));
  REQUIRE(got2.ok());
  CHECK(got2->found);
  CHECK(got2->siblings == binary_value);
  CHECK(got2->context == "merged");

  auto del = DecodeMessage<DeleteRequest>(
      EncodeMessage(DeleteRequest{.key = "gone", .context = "seen", .w = 1, .forwarded = true}));
  REQUIRE(del.ok());
  CHECK(del->key == "gone");
  CHECK(del->context == "seen");
  CHECK(del->w == 1);
  CHECK(del->forwarded);

  auto err = DecodeMessage<ErrorResponse>(
      EncodeMessage(StatusToErrorResponse(Status::InvalidArgument("too big"))));
  REQUIRE(err.ok());
  Status s = ErrorResponseToStatus(*err);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message() == "too big");

  for (ErrorCode c :
       {ErrorCode::kNotFound, ErrorCode::kInvalidArgument, ErrorCode::kCorruption,
        ErrorCode::kIOError, ErrorCode::kUnavailable, ErrorCode::kTimeout, ErrorCode::kProtocol,
        ErrorCode::kMaybeApplied, ErrorCode::kPermissionDenied}) {
    CHECK(FromWireErrorCode(static_cast<uint8_t>(ToWireErrorCode(c))) == c);
  }
  // The numbers are the wire's (docs/formats.md, "Error codes"), not the enum's order.
  CHECK(static_cast<uint8_t>(ToWireErrorCode(ErrorCode::kMaybeApplied)) == 8);
  CHECK(static_cast<uint8_t>(ToWireErrorCode(ErrorCode::kPermissionDenied)) == 9);
  CHECK(FromWireErrorCode(0) == ErrorCode::kProtocol);
  CHECK(FromWireErrorCode(99) == ErrorCode::kProtocol);

  CHECK(DecodeMessage<PutResponse>(EncodeMessage(PutResponse{})).ok());
  CHECK(DecodeMessage<DeleteResponse>(EncodeMessage(DeleteResponse{})).ok());
  auto hello = DecodeMessage<HandshakeOk>(EncodeMessage(HandshakeOk{.server = "kvnode test"}));
  REQUIRE(hello.ok());
  CHECK(hello->server == "kvnode test");
}

TEST_CASE("EncodeMessageFrame is a frame holding EncodeMessage") {
  DeleteRequest del{.key = "gone", .context = "", .w = 0, .forwarded = false};
  std::string frame = EncodeMessageFrame(del, 99);
  std::string_view in = frame;
  auto f = DecodeFrame(&in);
  REQUIRE(f.ok());
  REQUIRE(f->has_value());
  CHECK((*f)->type == wire::MessageType::kDeleteRequest);
  CHECK((*f)->request_id == 99);
  CHECK((*f)->body == EncodeMessage(del));
}

TEST_CASE("malformed bodies are protocol errors, never crashes") {
  const std::string good = EncodeMessage(
      PutRequest{.key = "key", .value = "value", .context = "c", .w = 2, .forwarded = false});
  // Every truncation.
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = DecodeMessage<PutRequest>(std::string_view(good).substr(0, n));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kProtocol);
  }
  // Trailing bytes.
  CHECK(DecodeMessage<PutRequest>(good + "x").status().code() == ErrorCode::kProtocol);
  // A string declaring 2^60 bytes: refused before any allocation.
  std::string huge = good.substr(0, 5);  // endianness flag + class version
  for (int i = 0; i < 8; ++i) huge.push_back(i == 7 ? '\x10' : '\0');
  auto r = DecodeMessage<PutRequest>(huge);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kProtocol);
  // A class version from the future.
  std::string future = good;
  future[1] = 4;
  CHECK(DecodeMessage<PutRequest>(future).status().code() == ErrorCode::kProtocol);
  // Class version 2 (before local quorums): refused, not misread.
  std::string before_zones = good;
  before_zones[1] = 2;
  CHECK(DecodeMessage<PutRequest>(before_zones).status().code() == ErrorCode::kProtocol);

  // Random bytes and random mutations of a good body.
  const uint64_t seed = 77;
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 5000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 64);
      for (char& c : bytes) c = static_cast<char>(rng());
    } else {
      bytes = good;
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    auto a = DecodeMessage<PutRequest>(bytes);
    auto b = DecodeMessage<GetResponse>(bytes);
    auto c = DecodeMessage<ErrorResponse>(bytes);
    if (!a.ok()) CHECK(a.status().code() == ErrorCode::kProtocol);
    if (!b.ok()) CHECK(b.status().code() == ErrorCode::kProtocol);
    if (!c.ok()) CHECK(c.status().code() == ErrorCode::kProtocol);
  }
}

}  // namespace kv

namespace kv {

TEST_CASE("message bodies are laid out as docs/formats.md says") {
  // flag 1 (little-endian) | class version fixed32 3 | key: size fixed64 | bytes | r fixed32 |
  // local_zone: size fixed64 | bytes (none here)
  const std::string get = EncodeMessage(GetRequest{.key = "k", .r = 2});
  CHECK(get == std::string("\x01"
                           "\x03\x00\x00\x00"
                           "\x01\x00\x00\x00\x00\x00\x00\x00"
                           "k"
                           "\x02\x00\x00\x00"
                           "\x00\x00\x00\x00\x00\x00\x00\x00",
                           26));
  // found byte, then the siblings, then the context
  const std::string response =
      EncodeMessage(GetResponse{.found = true, .siblings = "v", .context = ""});
  CHECK(response == std::string("\x01"
                                "\x02\x00\x00\x00"
                                "\x01"
                                "\x01\x00\x00\x00\x00\x00\x00\x00"
                                "v"
                                "\x00\x00\x00\x00\x00\x00\x00\x00",
                                23));
  // key, value, context, w fixed32, forwarded byte, primaries_only byte, local_zone
  const std::string put = EncodeMessage(PutRequest{.key = "k",
                                                   .value = "v",
                                                   .context = "",
                                                   .w = 0,
                                                   .forwarded = true,
                                                   .primaries_only = true,
                                                   .local_zone = "b"});
  CHECK(put == std::string("\x01"
                           "\x03\x00\x00\x00"
                           "\x01\x00\x00\x00\x00\x00\x00\x00"
                           "k"
                           "\x01\x00\x00\x00\x00\x00\x00\x00"
                           "v"
                           "\x00\x00\x00\x00\x00\x00\x00\x00"
                           "\x00\x00\x00\x00"
                           "\x01"
                           "\x01"
                           "\x01\x00\x00\x00\x00\x00\x00\x00"
                           "b",
                           46));
  // wire error code byte, then the message
  const std::string error =
      EncodeMessage(ErrorResponse{.code = ErrorCode::kTimeout, .message = ""});
  CHECK(error == std::string("\x01"
                             "\x01\x00\x00\x00"
                             "\x06"
                             "\x00\x00\x00\x00\x00\x00\x00\x00",
                             14));
  CHECK(EncodeMessage(PutResponse{}) == std::string("\x01\x01\x00\x00\x00", 5));
}

}  // namespace kv

namespace kv {

TEST_CASE("node-to-node messages round-trip") {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(255 - i));

  auto read = DecodeMessage<ReplicaReadRequest>(EncodeMessage(ReplicaReadRequest{.key = "rk"}));
  REQUIRE(read.ok());
  CHECK(read->key == "rk");
  auto read_answer =
      DecodeMessage<ReplicaReadResponse>(EncodeMessage(ReplicaReadResponse{.siblings = binary}));
  REQUIRE(read_answer.ok());
  CHECK(read_answer->siblings == binary);

  auto write = DecodeMessage<ReplicaWriteRequest>(
      EncodeMessage(ReplicaWriteRequest{.key = "wk", .siblings = binary, .hinted_for = "n4"}));
  REQUIRE(write.ok());
  CHECK(write->key == "wk");
  CHECK(write->siblings == binary);
  CHECK(write->hinted_for == "n4");
  CHECK(DecodeMessage<ReplicaWriteResponse>(EncodeMessage(ReplicaWriteResponse{})).ok());

  ReplicaWriteBatchRequest batch;
  batch.writes.push_back(ReplicaWriteRequest{.key = "b1", .siblings = binary, .hinted_for = ""});
  batch.writes.push_back(ReplicaWriteRequest{.key = "b2", .siblings = "", .hinted_for = "n5"});
  auto batch_read = DecodeMessage<ReplicaWriteBatchRequest>(EncodeMessage(batch));
  REQUIRE(batch_read.ok());
  REQUIRE(batch_read->writes.size() == 2);
  CHECK(batch_read->writes[0].siblings == binary);
  CHECK(batch_read->writes[1].hinted_for == "n5");
  ReplicaWriteBatchResponse outcomes;
  outcomes.outcomes = {Status::Ok(), Status::MaybeApplied("maybe"), Status::NotFound("gone")};
  auto outcomes_read = DecodeMessage<ReplicaWriteBatchResponse>(EncodeMessage(outcomes));
  REQUIRE(outcomes_read.ok());
  REQUIRE(outcomes_read->outcomes.size() == 3);
  CHECK(outcomes_read->outcomes[0].ok());
  CHECK(outcomes_read->outcomes[1].code() == ErrorCode::kMaybeApplied);
  CHECK(outcomes_read->outcomes[1].message() == "maybe");
  CHECK(outcomes_read->outcomes[2].code() == ErrorCode::kNotFound);
  // A count past what the body could hold is refused before anything is allocated.
  std::string huge_count = EncodeMessage(ReplicaWriteBatchRequest{});
  REQUIRE(huge_count.size() >= 8);  // ends with the count: 8 bytes
  for (size_t i = huge_count.size() - 8; i < huge_count.size() - 1; ++i) huge_count[i] = '\x7f';
  CHECK(DecodeMessage<ReplicaWriteBatchRequest>(huge_count).status().code() ==
        ErrorCode::kProtocol);

  auto syn = DecodeMessage<GossipSyn>(EncodeMessage(GossipSyn{.payload = binary}));
  REQUIRE(syn.ok());
  CHECK(syn->payload == binary);
  auto ack = DecodeMessage<GossipAck>(EncodeMessage(GossipAck{.payload = "ack"}));
  REQUIRE(ack.ok());
  CHECK(ack->payload == "ack");
  auto ack2 = DecodeMessage<GossipAck2>(EncodeMessage(GossipAck2{.payload = ""}));
  REQUIRE(ack2.ok());
  CHECK(ack2->payload.empty());
  CHECK(DecodeMessage<GossipDone>(EncodeMessage(GossipDone{})).ok());

  // Each message checks its own type's class version: a GossipSyn body is not a GossipDone.
  CHECK(DecodeMessage<GossipDone>(EncodeMessage(GossipSyn{.payload = "x"})).status().code() ==
        ErrorCode::kProtocol);
}

TEST_CASE("leave request and response round-trip") {
  auto request = DecodeMessage<LeaveRequest>(EncodeMessage(LeaveRequest{.status_only = true}));
  REQUIRE(request.ok());
  CHECK(request->status_only);
  LeaveResponse response{.state = "leaving",
                         .phase = "streaming to the new owners, pass 1 of 2",
                         .keys_streamed = 1873,
                         .bytes_streamed = 402113,
                         .seconds = 3.25,
                         .error = "n3: unreachable"};
  auto back = DecodeMessage<LeaveResponse>(EncodeMessage(response));
  REQUIRE(back.ok());
  CHECK(back->state == response.state);
  CHECK(back->phase == response.phase);
  CHECK(back->keys_streamed == 1873);
  CHECK(back->bytes_streamed == 402113);
  CHECK(back->seconds == 3.25);
  CHECK(back->error == response.error);
  CHECK(wire::IsKnownMessageType(static_cast<uint8_t>(wire::MessageType::kLeaveResponse)));
  CHECK(wire::MessageTypeName(wire::MessageType::kLeaveRequest) == "LeaveRequest");
}

TEST_CASE("cleanup request and response round-trip, every field") {
  auto request = DecodeMessage<CleanupRequest>(EncodeMessage(CleanupRequest{.status_only = true}));
  REQUIRE(request.ok());
  CHECK(request->status_only);
  const CleanupResponse response{.state = "failed",
                                 .keys_scanned = 1,
                                 .keys_removed = 2,
                                 .bytes_removed = 3,
                                 .seconds = 4.5,
                                 .error = "membership changed",
                                 .table_bytes_before = 6,
                                 .table_bytes_after = 7};
  auto back = DecodeMessage<CleanupResponse>(EncodeMessage(response));
  REQUIRE(back.ok());
  CHECK(*back == response);
  // Every truncation is refused, never misread.
  const std::string body = EncodeMessage(response);
  for (size_t n = 0; n < body.size(); ++n)
    CHECK(DecodeMessage<CleanupResponse>(body.substr(0, n)).status().code() ==
          ErrorCode::kProtocol);
  CHECK(wire::MessageTypeName(wire::MessageType::kCleanupResponse) == "CleanupResponse");
  CHECK(wire::IsKnownMessageType(static_cast<uint8_t>(wire::MessageType::kCleanupResponse)));
}

TEST_CASE("metrics request and response round-trip") {
  REQUIRE(DecodeMessage<MetricsRequest>(EncodeMessage(MetricsRequest{})).ok());
  const MetricsResponse response{.text =
                                     "# HELP kv_tables t\n# TYPE kv_tables gauge\nkv_tables 3\n"};
  const std::string body = EncodeMessage(response);
  auto back = DecodeMessage<MetricsResponse>(body);
  REQUIRE(back.ok());
  CHECK(*back == response);
  for (size_t n = 0; n < body.size(); ++n)
    CHECK(DecodeMessage<MetricsResponse>(body.substr(0, n)).status().code() ==
          ErrorCode::kProtocol);
  CHECK(DecodeMessage<MetricsResponse>(body + "x").status().code() == ErrorCode::kProtocol);
  CHECK(wire::MessageTypeName(wire::MessageType::kMetricsRequest) == "MetricsRequest");
  CHECK(wire::MessageTypeName(wire::MessageType::kMetricsResponse) == "MetricsResponse");
  CHECK(static_cast<uint8_t>(wire::MessageType::kMetricsRequest) == 33);
  CHECK(wire::IsKnownMessageType(static_cast<uint8_t>(wire::MessageType::kMetricsResponse)));
  // The last message type: the next byte is unknown.
  CHECK(!wire::IsKnownMessageType(static_cast<uint8_t>(wire::MessageType::kRepairStatusResponse) +
                                  1));
}

TEST_CASE("stats request and response round-trip, every field") {
  REQUIRE(DecodeMessage<StatsRequest>(EncodeMessage(StatsRequest{})).ok());
  // Distinct values, so a field coded twice or skipped shows.
  const StatsResponse response{.id = "n1",
                               .uptime_seconds = 12.5,
                               .memory_budget = 1,
                               .memtable_share = 2,
                               .connection_share = 3,
                               .compression = "lz4",
                               .memtable_memory = 4,
                               .memtable_memory_peak = 5,
                               .immutable_memtables = 6,
                               .tables = 7,
                               .table_bytes = 8,
                               .table_index_memory = 9,
                               .flushes = 10,
                               .compactions = 11,
                               .log_syncs = 12,
                               .log_records = 13,
                               .bloom_skips = 14,
                               .bloom_false_positives = 15,
                               .block_cache_capacity = 16,
                               .block_cache_bytes = 17,
                               .block_cache_pinned = 18,
                               .block_cache_hits = 19,
                               .block_cache_misses = 20,
                               .write_delays = 21,
                               .write_delay_micros = 22,
                               .write_stalls = 23,
                               .write_stall_micros = 24,
                               .tombstones_purged = 25,
                               .hints_held = 26,
                               .hint_bytes = 27,
                               .connection_waits = uint64_t{1} << 63,
                               .cpu_user_micros = 28,
                               .cpu_system_micros = 29,
                               .merkle_cache_share = 30,
                               .merkle_cache_bytes = 31};
  auto back = DecodeMessage<StatsResponse>(EncodeMessage(response));
  REQUIRE(back.ok());
  CHECK(*back == response);
  CHECK(DecodeMessage<StatsResponse>(EncodeMessage(response).substr(1)).status().code() ==
        ErrorCode::kProtocol);
  // Class version 3 (the Merkle cache came with it): a version-2 body, as a node from before it
  // answers, is refused by its version rather than misread.
  std::string old = EncodeMessage(response);
  REQUIRE(old[1] == 3);
  old[1] = 2;
  Result<StatsResponse> refused = DecodeMessage<StatsResponse>(old);
  CHECK(refused.status().code() == ErrorCode::kProtocol);
  CHECK(refused.status().message().find("version 2") != std::string::npos);
  CHECK(wire::IsKnownMessageType(static_cast<uint8_t>(wire::MessageType::kStatsResponse)));
  CHECK(wire::MessageTypeName(wire::MessageType::kStatsRequest) == "StatsRequest");
}

TEST_CASE("ring request and response round-trip with a node list") {
  auto request = DecodeMessage<RingRequest>(EncodeMessage(RingRequest{.key = "user:1"}));
  REQUIRE(request.ok());
  CHECK(request->key == "user:1");

  RingResponse ring{.self = "n1",
                    .replicas = 3,
                    .read_quorum = 2,
                    .write_quorum = 2,
                    .nodes = {RingNodeInfo{.id = "n1",
                                           .address = "127.0.0.1:7000",
                                           .up = true,
                                           .state = "normal",
                                           .vnodes = 256,
                                           .ownership = 0.75,
                                           .primary_ownership = 0.25,
                                           .seconds_since_heard = -1,
                                           .generation = 1700000000,
                                           .clock_id = "00112233445566ff",
                                           .hints_pending = 4,
                                           .load_stated = true,
                                           .disk_bytes = uint64_t{5} << 40,
                                           .keys = 123456789,
                                           .zone = "rack-a"},
                              RingNodeInfo{.id = "n2",
                                           .address = "[::1]:7001",
                                           .up = false,
                                           .state = "leaving",
                                           .vnodes = 16,
                                           .ownership = 0.125,
                                           .primary_ownership = 0.0625,
                                           .seconds_since_heard = 12.5,
                                           .generation = 7,
                                           .clock_id = "ffeeddccbbaa9988"}},
                    .key = "user:1",
                    .preference_list = {"n2", "n1"}};
  auto decoded = DecodeMessage<RingResponse>(EncodeMessage(ring));
  REQUIRE(decoded.ok());
  CHECK(decoded->self == "n1");
  CHECK(decoded->replicas == 3);
  CHECK(decoded->read_quorum == 2);
  CHECK(decoded->write_quorum == 2);
  REQUIRE(decoded->nodes.size() == 2);
  CHECK(decoded->nodes == ring.nodes);
  CHECK(decoded->key == "user:1");
  CHECK(decoded->preference_list == std::vector<std::string>{"n2", "n1"});

  RingResponse empty{.self = "solo",
                     .replicas = 1,
                     .read_quorum = 1,
                     .write_quorum = 1,
                     .nodes = {},
                     .key = "",
                     .preference_list = {}};
  auto decoded_empty = DecodeMessage<RingResponse>(EncodeMessage(empty));
  REQUIRE(decoded_empty.ok());
  CHECK(decoded_empty->nodes.empty());
  CHECK(decoded_empty->preference_list.empty());

  // Every truncation of a list-bearing body is refused.
  const std::string good = EncodeMessage(ring);
  for (size_t n = 0; n < good.size(); ++n)
    CHECK(DecodeMessage<RingResponse>(std::string_view(good).substr(0, n)).status().code() ==
          ErrorCode::kProtocol);
  // Version 1 (no load) is refused by its version, not misread.
  std::string old = good;
  old[1] = '\x01';
  auto refused = DecodeMessage<RingResponse>(old);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("version 1") != std::string::npos);
}

TEST_CASE("a ring response declaring a huge node list is refused before allocating") {
  // flag | class version 3 | self "" | replicas, r, w | node count 2^60
  std::string body(
      "\x01"
      "\x03\x00\x00\x00",
      5);
  body.append(8, '\0');   // self: size 0
  body.append(12, '\0');  // replicas, read_quorum, write_quorum
  body.append("\x00\x00\x00\x00\x00\x00\x00\x10", 8);
  auto r = DecodeMessage<RingResponse>(body);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kProtocol);
  // Refused by the bound on the count, not by a failed allocation (which would also end up a
  // Protocol error, caught at the decode boundary).
  CHECK(r.status().message().find("are left in the body") != std::string::npos);

  // The same for the preference list after an empty node list and key.
  std::string tail(
      "\x01"
      "\x03\x00\x00\x00",
      5);
  tail.append(8 + 12 + 8 + 8, '\0');  // self "", N/R/W, 0 nodes, key ""
  tail.append("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  auto t = DecodeMessage<RingResponse>(tail);
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().message().find("are left in the body") != std::string::npos);
}

TEST_CASE("messages: remove request and response round trip") {
  auto request =
      DecodeMessage<RemoveRequest>(EncodeMessage(RemoveRequest{.node = "n4", .force = true}));
  REQUIRE(request.ok());
  CHECK(request->node == "n4");
  CHECK(request->force);
  const RemoveResponse response{.streams_to = {"n1", "n2"}};
  auto back = DecodeMessage<RemoveResponse>(EncodeMessage(response));
  REQUIRE(back.ok());
  CHECK(back->streams_to == response.streams_to);
  CHECK(wire::MessageTypeName(wire::MessageType::kRemoveRequest) == "RemoveRequest");
}

TEST_CASE("messages: repair status request and response round trip, every field") {
  REQUIRE(DecodeMessage<RepairStatusRequest>(EncodeMessage(RepairStatusRequest{})).ok());
  const RepairStatusResponse response{
      .id = "n1",
      .now_micros = 1'700'000'123'000'000,
      .grace_seconds = 86400,
      .ranges = {RangeRepairStatus{.start = 10, .end = 20},
                 RangeRepairStatus{.start = 20,
                                   .end = 5,
                                   .last_complete_repair_micros = 1'700'000'000'000'000,
                                   .purge_allowed = true,
                                   .purge_written_by_micros = 1'699'913'600'000'000}}};
  auto back = DecodeMessage<RepairStatusResponse>(EncodeMessage(response));
  REQUIRE(back.ok());
  CHECK(*back == response);
  const std::string body = EncodeMessage(response);
  for (size_t n = 0; n < body.size(); ++n)
    CHECK(DecodeMessage<RepairStatusResponse>(body.substr(0, n)).status().code() ==
          ErrorCode::kProtocol);
  CHECK(wire::MessageTypeName(wire::MessageType::kRepairStatusRequest) == "RepairStatusRequest");
  CHECK(wire::MessageTypeName(wire::MessageType::kRepairStatusResponse) == "RepairStatusResponse");
  CHECK(wire::IsKnownMessageType(35));
  CHECK(wire::IsKnownMessageType(36));
}

}  // namespace kv
