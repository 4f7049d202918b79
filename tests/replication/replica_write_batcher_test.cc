// ReplicaWriteBatcher over a fake Transport that records every call and answers as told: writes
// for one peer sent in one turn leave as one batch, each write gets its own outcome, a failed
// call fails every write of its batch with the call's code, and a write alone leaves as a plain
// ReplicaWrite.
#include "libkv/replication/replica_write_batcher.h"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libkv/net/messages.h"

namespace kv {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

struct RecordedCall {
  std::string address;
  wire::MessageType type;
  std::string body;
};

class FakeTransport final : public Transport {
 public:
  // How each call is answered: given the call, the answer (a frame or a failure).
  std::function<Result<Frame>(const RecordedCall&)> answer;
  std::vector<RecordedCall> calls;

  asio::awaitable<Result<Frame>> Call(std::string address, wire::MessageType type, std::string body,
                                      milliseconds) override {
    calls.push_back(RecordedCall{std::move(address), type, std::move(body)});
    co_return answer(calls.back());
  }
};

Frame AnswerFrame(wire::MessageType type, std::string body) {
  return Frame{.type = type, .request_id = 1, .body = std::move(body)};
}

ReplicaWriteRequest Write(const std::string& key) {
  return ReplicaWriteRequest{.key = key, .siblings = "set-of-" + key, .hinted_for = ""};
}

// Sends `writes` (address, write) from one handler on a fresh io_context, runs it to the end, and
// returns each write's outcome (nullopt: its callback never ran).
std::vector<std::optional<Status>> SendInOneTurn(
    FakeTransport& transport, std::vector<std::pair<std::string, ReplicaWriteRequest>> writes) {
  asio::io_context io(1);
  ReplicaWriteBatcher batcher(&transport, milliseconds(1000));
  std::vector<std::optional<Status>> outcomes(writes.size());
  asio::post(io, [&] {
    for (size_t i = 0; i < writes.size(); ++i)
      batcher.Send(io.get_executor(), writes[i].first, std::move(writes[i].second),
                   [&outcomes, i](Status s) { outcomes[i] = std::move(s); });
  });
  io.run();
  return outcomes;
}

TEST_CASE("replica write batcher: one turn's writes to a peer leave as one batch") {
  FakeTransport transport;
  transport.answer = [](const RecordedCall& call) -> Result<Frame> {
    if (call.type == wire::MessageType::kReplicaWriteRequest)
      return AnswerFrame(wire::MessageType::kReplicaWriteResponse,
                         EncodeMessage(ReplicaWriteResponse{}));
    Result<ReplicaWriteBatchRequest> batch = DecodeMessage<ReplicaWriteBatchRequest>(call.body);
    REQUIRE(batch.ok());
    // The second write of every batch is refused, the others land.
    ReplicaWriteBatchResponse response;
    for (size_t i = 0; i < batch->writes.size(); ++i)
      response.outcomes.push_back(
          i == 1 ? Status::InvalidArgument("refused: " + batch->writes[i].key) : Status::Ok());
    return AnswerFrame(wire::MessageType::kReplicaWriteBatchResponse, EncodeMessage(response));
  };
  std::vector<std::optional<Status>> outcomes = SendInOneTurn(
      transport,
      {{"p1:1", Write("a")}, {"p2:1", Write("solo")}, {"p1:1", Write("b")}, {"p1:1", Write("c")}});

  REQUIRE(transport.calls.size() == 2);
  const RecordedCall& to_p1 =
      transport.calls[0].address == "p1:1" ? transport.calls[0] : transport.calls[1];
  const RecordedCall& to_p2 =
      transport.calls[0].address == "p2:1" ? transport.calls[0] : transport.calls[1];
  CHECK(to_p1.type == wire::MessageType::kReplicaWriteBatchRequest);
  Result<ReplicaWriteBatchRequest> batch = DecodeMessage<ReplicaWriteBatchRequest>(to_p1.body);
  REQUIRE(batch.ok());
  REQUIRE(batch->writes.size() == 3);
  CHECK(batch->writes[0].key == "a");
  CHECK(batch->writes[1].key == "b");
  CHECK(batch->writes[2].key == "c");
  CHECK(batch->writes[2].siblings == "set-of-c");
  // A write alone goes as it always did.
  CHECK(to_p2.type == wire::MessageType::kReplicaWriteRequest);
  CHECK(DecodeMessage<ReplicaWriteRequest>(to_p2.body)->key == "solo");

  REQUIRE(outcomes[0].has_value());
  CHECK(outcomes[0]->ok());
  REQUIRE(outcomes[1].has_value());
  CHECK(outcomes[1]->ok());
  REQUIRE(outcomes[2].has_value());
  CHECK(outcomes[2]->code() == ErrorCode::kInvalidArgument);
  CHECK(outcomes[2]->message() == "refused: b");
  REQUIRE(outcomes[3].has_value());
  CHECK(outcomes[3]->ok());
}

TEST_CASE("replica write batcher: a failed call fails every write of its batch with its code") {
  for (ErrorCode code : {ErrorCode::kUnavailable, ErrorCode::kMaybeApplied, ErrorCode::kTimeout}) {
    FakeTransport transport;
    transport.answer = [code](const RecordedCall&) -> Result<Frame> {
      return Status(code, "the call failed");
    };
    std::vector<std::optional<Status>> outcomes =
        SendInOneTurn(transport, {{"p1:1", Write("a")}, {"p1:1", Write("b")}});
    REQUIRE(transport.calls.size() == 1);
    for (const std::optional<Status>& s : outcomes) {
      REQUIRE(s.has_value());
      CHECK(s->code() == code);
    }
  }
}

TEST_CASE("replica write batcher: an answer that does not match the batch is MaybeApplied") {
  FakeTransport transport;
  transport.answer = [](const RecordedCall&) -> Result<Frame> {
    ReplicaWriteBatchResponse one_outcome;
    one_outcome.outcomes.push_back(Status::Ok());
    return AnswerFrame(wire::MessageType::kReplicaWriteBatchResponse, EncodeMessage(one_outcome));
  };
  std::vector<std::optional<Status>> outcomes =
      SendInOneTurn(transport, {{"p1:1", Write("a")}, {"p1:1", Write("b")}});
  for (const std::optional<Status>& s : outcomes) {
    REQUIRE(s.has_value());
    CHECK(s->code() == ErrorCode::kMaybeApplied);
  }
}

TEST_CASE("replica write batcher: batches are bounded in writes and bytes") {
  FakeTransport transport;
  size_t written = 0;
  transport.answer = [&written](const RecordedCall& call) -> Result<Frame> {
    Result<ReplicaWriteBatchRequest> batch = DecodeMessage<ReplicaWriteBatchRequest>(call.body);
    REQUIRE(batch.ok());
    CHECK(batch->writes.size() <= ReplicaWriteBatcher::kMaxWrites);
    written += batch->writes.size();
    ReplicaWriteBatchResponse response;
    response.outcomes.resize(batch->writes.size());
    return AnswerFrame(wire::MessageType::kReplicaWriteBatchResponse, EncodeMessage(response));
  };
  std::vector<std::pair<std::string, ReplicaWriteRequest>> writes;
  for (size_t i = 0; i < ReplicaWriteBatcher::kMaxWrites + 10; ++i)
    writes.emplace_back("p1:1", Write(std::to_string(i)));
  std::vector<std::optional<Status>> outcomes = SendInOneTurn(transport, std::move(writes));
  CHECK(transport.calls.size() == 2);
  CHECK(written == ReplicaWriteBatcher::kMaxWrites + 10);
  for (const std::optional<Status>& s : outcomes) CHECK((s.has_value() && s->ok()));

  // Two writes whose bytes together pass the limit leave apart.
  FakeTransport plain;
  plain.answer = [](const RecordedCall&) -> Result<Frame> {
    return AnswerFrame(wire::MessageType::kReplicaWriteResponse,
                       EncodeMessage(ReplicaWriteResponse{}));
  };
  ReplicaWriteRequest big = Write("big");
  big.siblings.assign(ReplicaWriteBatcher::kMaxBytes - 100, 'x');
  outcomes = SendInOneTurn(plain, {{"p1:1", big}, {"p1:1", big}});
  REQUIRE(plain.calls.size() == 2);
  CHECK(plain.calls[0].type == wire::MessageType::kReplicaWriteRequest);
  CHECK(plain.calls[1].type == wire::MessageType::kReplicaWriteRequest);
}

}  // namespace
}  // namespace kv
