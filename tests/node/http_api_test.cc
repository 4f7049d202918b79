// The HTTP API's pure half (libkv/node/http_api.h): which call a method and target ask for, the
// refusals (404, 405, 400, 413) decided before anything is sent to the node, the wire requests
// a call becomes, and the HTTP answer each wire answer or error becomes.
#include "libkv/node/http_api.h"

#include <doctest/doctest.h>

#include <string>
#include <variant>

#include "libkv/base/json.h"
#include "libkv/base/limits.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/messages.h"
#include "libkv/versioning/context_token.h"
#include "libkv/versioning/sibling_set.h"

namespace kv {
namespace {

HttpCall CallOf(HttpMethod method, std::string_view target, std::string_view context = "") {
  std::variant<HttpCall, HttpAnswer> parsed = ParseHttpCall(method, target, context);
  REQUIRE(std::holds_alternative<HttpCall>(parsed));
  return std::get<HttpCall>(parsed);
}

HttpAnswer RefusalOf(HttpMethod method, std::string_view target, std::string_view context = "") {
  std::variant<HttpCall, HttpAnswer> parsed = ParseHttpCall(method, target, context);
  REQUIRE(std::holds_alternative<HttpAnswer>(parsed));
  return std::get<HttpAnswer>(parsed);
}

// The frame the node's handler would return for `message`.
template <class M>
Frame AnswerFrameOf(const M& message) {
  std::string bytes = EncodeMessageFrame(message, 1);
  Result<Frame> frame = DecodeAnswerFrame(bytes);
  REQUIRE(frame.ok());
  return *frame;
}

SiblingSet SetOf(std::initializer_list<std::pair<std::string, bool>> versions) {
  SiblingSet set;
  ClockId writer = 1;
  for (const auto& [value, tombstone] : versions) {
    // Each from its own coordinator with no context: concurrent, so all are kept.
    REQUIRE(set.Put(SiblingWrite{.context = {},
                                 .coordinator = writer++,
                                 .tombstone = tombstone,
                                 .value = value,
                                 .now_micros = 1,
                                 .min_counter = 0},
                    ClockPruneOptions{})
                .ok());
  }
  return set;
}

TEST_CASE("http api: routes, the key percent-decoded, and the query parameters") {
  HttpCall get = CallOf(HttpMethod::kGet, "/v1/kv/a%2Fb%20c%00?r=1");
  CHECK(get.route == HttpCall::Route::kKv);
  CHECK(get.key == std::string("a/b c\0", 6));
  CHECK(get.r == 1);
  CHECK(CallOf(HttpMethod::kGet, "/v1/kv/a+b").key == "a+b");  // '+' is not a space here

  HttpCall put = CallOf(HttpMethod::kPut, "/v1/kv/k?w=3&blind=true");
  CHECK(put.w == 3);
  CHECK(put.blind);
  CHECK_FALSE(put.primaries_only);
  HttpCall pw = CallOf(HttpMethod::kDelete, "/v1/kv/k?pw=2");
  CHECK(pw.w == 2);
  CHECK(pw.primaries_only);

  CHECK(CallOf(HttpMethod::kGet, "/v1/ring").route == HttpCall::Route::kRing);
  CHECK(CallOf(HttpMethod::kGet, "/v1/stats").route == HttpCall::Route::kStats);
  CHECK(CallOf(HttpMethod::kGet, "/metrics").route == HttpCall::Route::kMetrics);
  CHECK(CallOf(HttpMethod::kGet, "/health").route == HttpCall::Route::kHealth);
}

TEST_CASE("http api: r=local, w=local and pw=local with zone= ask a zone's local quorum") {
  HttpCall get = CallOf(HttpMethod::kGet, "/v1/kv/k?r=local&zone=eu-1");
  CHECK(get.r_local);
  CHECK(get.zone == "eu-1");
  Result<GetRequest> get_wire = DecodeMessage<GetRequest>(GetFrame(get).body);
  REQUIRE(get_wire.ok());
  CHECK(get_wire->r == 0);
  CHECK(get_wire->local_zone == "eu-1");

  // A local write reads first at the same local quorum, unless r says otherwise.
  HttpCall put = CallOf(HttpMethod::kPut, "/v1/kv/k?zone=b&w=local");
  CHECK(put.w_local);
  CHECK(put.r_local);
  Result<PutRequest> put_wire = DecodeMessage<PutRequest>(PutFrame(put, "v", "").body);
  REQUIRE(put_wire.ok());
  CHECK(put_wire->local_zone == "b");
  CHECK(DecodeMessage<GetRequest>(GetFrame(put).body)->local_zone == "b");
  HttpCall read_plain = CallOf(HttpMethod::kPut, "/v1/kv/k?w=local&zone=b&r=2");
  CHECK_FALSE(read_plain.r_local);
  CHECK(DecodeMessage<GetRequest>(GetFrame(read_plain).body)->local_zone.empty());
  HttpCall write_plain = CallOf(HttpMethod::kPut, "/v1/kv/k?r=local&zone=b&w=2");
  CHECK(DecodeMessage<PutRequest>(PutFrame(write_plain, "v", "").body)->local_zone.empty());
  CHECK_FALSE(CallOf(HttpMethod::kPut, "/v1/kv/k?w=local&zone=b&blind=true").r_local);

  HttpCall pw = CallOf(HttpMethod::kDelete, "/v1/kv/k?pw=local&zone=b");
  CHECK(pw.w_local);
  CHECK(pw.primaries_only);
  Result<DeleteRequest> del_wire = DecodeMessage<DeleteRequest>(DeleteFrame(pw, "").body);
  REQUIRE(del_wire.ok());
  CHECK(del_wire->local_zone == "b");
  CHECK(del_wire->primaries_only);
  CHECK(CallOf(HttpMethod::kDelete, "/v1/kv/k?pw=local&w=local&zone=b").primaries_only);

  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?r=local").status == 400);  // no zone
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?zone=b").status == 400);   // no local quorum
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?r=local&zone=a%20b").status == 400);
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?w=local&zone=b").status == 400);  // not a GET's
  CHECK(RefusalOf(HttpMethod::kPut, "/v1/kv/k?pw=local&w=2&zone=b").status == 400);
  CHECK(RefusalOf(HttpMethod::kPut, "/v1/kv/k?w=local&pw=2&zone=b").status == 400);
  CHECK(RefusalOf(HttpMethod::kPut, "/v1/kv/k?r=local&zone=b&blind=true").status == 400);
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?r=locally&zone=b").status == 400);
}

TEST_CASE("http api: a context header becomes the binary token the wire carries") {
  VectorClock clock;
  clock.Increment(0x1234, 1);
  const std::string text = ContextTokenToText(clock);
  HttpCall put = CallOf(HttpMethod::kPut, "/v1/kv/k", text);
  CHECK(put.context == EncodeContextToken(clock));
  Result<PutRequest> wire = DecodeMessage<PutRequest>(PutFrame(put, "value", put.context).body);
  REQUIRE(wire.ok());
  CHECK(wire->key == "k");
  CHECK(wire->value == "value");
  CHECK(wire->context == put.context);
  CHECK_FALSE(wire->forwarded);
}

TEST_CASE("http api: refusals before anything reaches the node") {
  CHECK(RefusalOf(HttpMethod::kGet, "/nowhere").status == 404);
  HttpAnswer wrong_method = RefusalOf(HttpMethod::kPost, "/v1/kv/k");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.allow == "GET, PUT, DELETE");
  CHECK(RefusalOf(HttpMethod::kPut, "/v1/ring").allow == "GET");
  CHECK(RefusalOf(HttpMethod::kPut, "/metrics").status == 405);
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/").status == 400);      // empty key
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/a%4").status == 400);   // cut escape
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/a%zz").status == 400);  // not hex
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?r=x").status == 400);
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?r=17").status == 400);  // past N's limit
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?q=1").status == 400);   // unknown
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k?w=1").status == 400);   // not a GET's
  CHECK(RefusalOf(HttpMethod::kPut, "/v1/kv/k?w=2&pw=3").status == 400);
  CHECK(RefusalOf(HttpMethod::kPut, "/v1/kv/k?blind=maybe").status == 400);
  CHECK(RefusalOf(HttpMethod::kPut, "/v1/kv/k?blind=true", "AAAA").status == 400);
  CHECK(RefusalOf(HttpMethod::kPut, "/v1/kv/k", "not base64!").status == 400);
  CHECK(RefusalOf(HttpMethod::kGet, "/v1/kv/k", "AAAA").status == 400);  // GET returns one
  CHECK(RefusalOf(HttpMethod::kGet, "/health?x=1").status == 400);

  const std::string at_limit(kMaxKeyBytes, 'k');
  CHECK(CallOf(HttpMethod::kGet, "/v1/kv/" + at_limit).key == at_limit);
  HttpAnswer too_long = RefusalOf(HttpMethod::kGet, "/v1/kv/" + at_limit + "k");
  CHECK(too_long.status == 413);
  CHECK(too_long.body.find("\"code\":\"invalid_argument\"") != std::string::npos);
}

TEST_CASE("http api: a get's answer is the value, siblings as 300, or 404") {
  const SiblingSet one = SetOf({{"hello", false}});
  HttpAnswer value = AnswerGet(
      AnswerFrameOf(GetResponse{.found = true, .siblings = one.Encode(), .context = "ctx"}));
  CHECK(value.status == 200);
  CHECK(value.body == "hello");
  CHECK(value.content_type == "application/octet-stream");
  CHECK(value.context == Base64Encode("ctx"));

  const SiblingSet two = SetOf({{"red", false}, {"blue", false}});
  HttpAnswer siblings = AnswerGet(
      AnswerFrameOf(GetResponse{.found = true, .siblings = two.Encode(), .context = "ctx"}));
  CHECK(siblings.status == 300);
  Result<boost::json::value> body = json::Parse(siblings.body);
  REQUIRE(body.ok());
  CHECK(body->at("siblings").as_array().size() == 2);
  CHECK(body->at("context").as_string() == Base64Encode("ctx"));
  CHECK(siblings.context == Base64Encode("ctx"));

  // A value beside a delete is a conflict too, as kvget reads it.
  const SiblingSet conflict = SetOf({{"v", false}, {"", true}});
  CHECK(AnswerGet(AnswerFrameOf(
                      GetResponse{.found = true, .siblings = conflict.Encode(), .context = "c"}))
            .status == 300);
  const SiblingSet deleted = SetOf({{"", true}});
  HttpAnswer gone = AnswerGet(
      AnswerFrameOf(GetResponse{.found = false, .siblings = deleted.Encode(), .context = "c"}));
  CHECK(gone.status == 404);
  CHECK(gone.context == Base64Encode("c"));  // a PUT with it supersedes the delete
  CHECK(AnswerGet(AnswerFrameOf(GetResponse{})).status == 404);
}

TEST_CASE("http api: /metrics answers the node's exposition text as Prometheus scrapes it") {
  const std::string text = "# TYPE kv_up gauge\nkv_up 1\n";
  HttpAnswer scrape = AnswerMetrics(Frame{.type = wire::MessageType::kMetricsResponse,
                                          .request_id = 1,
                                          .body = EncodeMessage(MetricsResponse{.text = text})});
  CHECK(scrape.status == 200);
  CHECK(scrape.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(scrape.body == text);
  // Any other answer is the node misbehaving: a 500, not a page of wrong text.
  HttpAnswer wrong = AnswerMetrics(Frame{.type = wire::MessageType::kStatsResponse,
                                         .request_id = 1,
                                         .body = EncodeMessage(StatsResponse{})});
  CHECK(wrong.status == 500);
  CHECK(MetricsFrame().type == wire::MessageType::kMetricsRequest);
}

TEST_CASE("http api: errors map to status codes with a JSON body") {
  CHECK(HttpStatusFor(Status::InvalidArgument("x")) == 400);
  CHECK(HttpStatusFor(Status::PermissionDenied("x")) == 403);
  CHECK(HttpStatusFor(Status::NotFound("x")) == 404);
  CHECK(HttpStatusFor(Status::Unavailable("x")) == 503);
  CHECK(HttpStatusFor(Status::Timeout("x")) == 503);
  CHECK(HttpStatusFor(Status::MaybeApplied("x")) == 503);
  CHECK(HttpStatusFor(Status::IOError("x")) == 500);
  CHECK(HttpStatusFor(Status::Corruption("x")) == 500);

  HttpAnswer maybe = ErrorAnswer(Status::MaybeApplied("1 of W=2 replicas acknowledged"));
  CHECK(maybe.status == 503);
  Result<boost::json::value> body = json::Parse(maybe.body);
  REQUIRE(body.ok());
  CHECK(body->at("code").as_string() == "maybe_applied");
  CHECK(std::string(body->at("error").as_string()).find("may have been applied") !=
        std::string::npos);

  // An Error frame from the node arrives as its Status.
  const std::string error =
      EncodeMessageFrame(StatusToErrorResponse(Status::Unavailable("quorum not met")), 1);
  Result<Frame> decoded = DecodeAnswerFrame(error);
  CHECK(decoded.status().code() == ErrorCode::kUnavailable);
  CHECK(decoded.status().message() == "quorum not met");
  CHECK(DecodeAnswerFrame("garbage").status().code() == ErrorCode::kProtocol);
}

}  // namespace
}  // namespace kv
