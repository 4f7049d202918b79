#include "libkv/client/client.h"

#include <doctest/doctest.h>

#include "libkv/base/limits.h"
#include "libkv/client/get_result.h"
#include "libkv/versioning/context_token.h"
#include "tests/client/fake_node.h"
#include "tests/versioning/coordinator_write.h"
#include "tools/common/exit_code.h"
#include "tools/common/tool_error.h"

namespace kv {
namespace {

constexpr ClockId kA = 0x1111111111111111ULL;
constexpr ClockId kB = 0x2222222222222222ULL;

// A write as a coordinator applies it, with fixed clocks and times.
constexpr auto Write = testing::CoordinatorWrite;

GetResponse ResponseOf(const SiblingSet& set) {
  GetResponse r;
  r.found = !set.empty() && !set.AllTombstones();
  if (!set.empty()) {
    r.siblings = set.Encode();
    r.context = EncodeContextToken(set.Context());
  }
  return r;
}

TEST_CASE("GetResult: one value, siblings, tombstones only, nothing") {
  SiblingSet one;
  Write(&one, kA, {}, false, "hello", 10);
  auto got = GetResultFromResponse(ResponseOf(one));
  REQUIRE(got.ok());
  CHECK(got->found());
  REQUIRE(got->single_value() != nullptr);
  CHECK(*got->single_value() == "hello");
  CHECK_FALSE(got->has_conflict());
  CHECK(got->live().size() == 1);
  CHECK(got->context == EncodeContextToken(one.Context()));

  SiblingSet two = one;
  Write(&two, kB, {}, false, "world", 20);  // blind: a sibling
  got = GetResultFromResponse(ResponseOf(two));
  REQUIRE(got.ok());
  CHECK(got->found());
  CHECK(got->single_value() == nullptr);
  CHECK(got->has_conflict());
  CHECK(got->live().size() == 2);

  SiblingSet value_and_delete = one;
  Write(&value_and_delete, kB, {}, true, "", 30);  // a delete that did not see the value
  got = GetResultFromResponse(ResponseOf(value_and_delete));
  REQUIRE(got.ok());
  CHECK(got->found());
  CHECK(got->single_value() == nullptr);  // a conflict, not one value
  CHECK(got->has_conflict());
  CHECK(got->live().size() == 1);

  SiblingSet deleted = one;
  Write(&deleted, kA, one.Context(), true, "", 40);
  got = GetResultFromResponse(ResponseOf(deleted));
  REQUIRE(got.ok());
  CHECK(got->siblings.size() == 1);
  CHECK_FALSE(got->found());
  CHECK(got->single_value() == nullptr);
  CHECK_FALSE(got->context.empty());  // still covers the tombstone

  got = GetResultFromResponse(GetResponse{});
  REQUIRE(got.ok());
  CHECK_FALSE(got->found());
  CHECK(got->siblings.empty());
  CHECK(got->context.empty());
}

TEST_CASE("GetResult: a malformed sibling set or context token is a Protocol error") {
  GetResponse raw;  // what protocol 1's node sent: the raw value
  raw.found = true;
  raw.siblings = "hello";
  CHECK(GetResultFromResponse(raw).status().code() == ErrorCode::kProtocol);

  SiblingSet one;
  Write(&one, kA, {}, false, "v", 1);
  GetResponse truncated = ResponseOf(one);
  truncated.siblings.pop_back();
  CHECK(GetResultFromResponse(truncated).status().code() == ErrorCode::kProtocol);

  GetResponse bad_context = ResponseOf(one);
  bad_context.context = "\x07garbage";
  CHECK(GetResultFromResponse(bad_context).status().code() == ErrorCode::kProtocol);
}

TEST_CASE("CheckContextToken accepts nothing or a token, and nothing else") {
  CHECK(CheckContextToken("").ok());
  VectorClock c;
  c.Increment(kA, 5);
  CHECK(CheckContextToken(EncodeContextToken(c)).ok());
  CHECK(CheckContextToken("AQ==").code() == ErrorCode::kInvalidArgument);  // text, not bytes
}

TEST_CASE("client: blind writes become siblings, a write with their context resolves them") {
  FakeNode node;
  auto client = Client::Connect(node.address());
  REQUIRE(client.ok());
  Client& c = **client;

  auto missing = c.Get("k");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->found());

  REQUIRE(c.Put("k", "one").ok());
  auto got = c.Get("k", ReadOptions{.r = 1});
  REQUIRE(got.ok());
  REQUIRE(got->single_value() != nullptr);
  CHECK(*got->single_value() == "one");

  REQUIRE(c.Put("k", "two").ok());  // blind
  got = c.Get("k");
  REQUIRE(got.ok());
  CHECK(got->siblings.size() == 2);
  CHECK(got->has_conflict());

  REQUIRE(c.Put("k", "merged", WriteOptions{.context = got->context, .w = 2}).ok());
  got = c.Get("k");
  REQUIRE(got.ok());
  REQUIRE(got->single_value() != nullptr);
  CHECK(*got->single_value() == "merged");

  REQUIRE(c.Delete("k", WriteOptions{.context = got->context, .w = 0}).ok());
  got = c.Get("k");
  REQUIRE(got.ok());
  CHECK_FALSE(got->found());
  CHECK(got->siblings.size() == 1);  // the tombstone

  auto ring = c.Ring();
  REQUIRE(ring.ok());
  CHECK(ring->self == "fake");
  CHECK(ring->nodes.size() == 1);
  CHECK(ring->preference_list.empty());
  ring = c.Ring("k");
  REQUIRE(ring.ok());
  CHECK(ring->key == "k");
  CHECK(ring->preference_list == std::vector<std::string>{"fake"});
}

TEST_CASE("client: bad input is refused before sending — bad answers are Protocol errors") {
  // Answers that no correct node gives, and a node error, by key.
  FakeNode node([](const Frame& f) -> std::optional<std::string> {
    if (f.type == wire::MessageType::kGetRequest) {
      auto r = DecodeMessage<GetRequest>(f.body);
      if (r.ok() && r->key == "raw")
        return EncodeMessageFrame(GetResponse{.found = true, .siblings = "raw", .context = ""},
                                  f.request_id);
      if (r.ok() && r->key == "wrong-type") return EncodeMessageFrame(PutResponse{}, f.request_id);
      if (r.ok() && r->key == "no-quorum")
        return EncodeMessageFrame(
            StatusToErrorResponse(Status::Unavailable("read quorum not met: 1 of 2 replicas")),
            f.request_id);
    }
    return std::nullopt;
  });
  auto client = Client::Connect(node.address());
  REQUIRE(client.ok());
  Client& c = **client;

  Status s = c.Put("k", "v", WriteOptions{.context = "not a token", .w = 0});
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("nothing was written") != std::string::npos);
  CHECK(c.Delete("k", WriteOptions{.context = "x", .w = 0}).code() == ErrorCode::kInvalidArgument);
  CHECK(c.Get("").status().code() == ErrorCode::kInvalidArgument);
  CHECK(c.Ring(std::string(kMaxKeyBytes + 1, 'k')).status().code() == ErrorCode::kInvalidArgument);

  CHECK(c.Get("raw").status().code() == ErrorCode::kProtocol);
  auto wrong = c.Get("wrong-type");
  CHECK(wrong.status().code() == ErrorCode::kProtocol);
  CHECK(wrong.status().message().find("a get was answered with a") != std::string::npos);
  auto no_quorum = c.Get("no-quorum");
  CHECK(no_quorum.status().code() == ErrorCode::kUnavailable);
  CHECK(no_quorum.status().message().find("1 of 2 replicas") != std::string::npos);
  // The connection is still good.
  CHECK(c.Put("k", "v").ok());
}

TEST_CASE("client: a write whose outcome is unknown comes back as MaybeApplied, exit 3") {
  FakeNode node([](const Frame& f) -> std::optional<std::string> {
    if (f.type != wire::MessageType::kPutRequest) return std::nullopt;
    return EncodeMessageFrame(
        StatusToErrorResponse(Status::MaybeApplied(
            "write quorum not met: 1 of 3 replicas acknowledged (W=2); the write may have been "
            "applied")),
        f.request_id);
  });
  auto client = Client::Connect(node.address());
  REQUIRE(client.ok());
  Status s = (*client)->Put("k", "v");
  CHECK(s.code() == ErrorCode::kMaybeApplied);  // the code crossed the wire, not just the text
  CHECK(s.message().find("1 of 3 replicas") != std::string::npos);
  CHECK(ToolExitCode(s) == kExitUnavailable);
  // What kvput --json prints: scripts branch on "error", not on the message.
  CHECK(ErrorJson(s).find("\"error\":\"maybe applied\"") != std::string::npos);
}

}  // namespace
}  // namespace kv
