#include "libkv/node/http_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "libkv/base/json.h"
#include "libkv/base/limits.h"
#include "libkv/membership/node_state.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/admin_report.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/messages.h"
#include "libkv/versioning/context_token.h"
#include "libkv/versioning/sibling_set.h"
#include "libkv/versioning/sibling_set_dump.h"

namespace kv {

namespace {

constexpr std::string_view kKvPrefix = "/v1/kv/";
constexpr uint64_t kRequestId = 1;
// Quorums are 1..N with N at most 16 (kvnode --replicas); the node checks the rest.
constexpr uint32_t kMaxQuorum = 16;

HttpAnswer BadRequest(std::string message) {
  return ErrorAnswer(400, Status::InvalidArgument(std::move(message)));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding; '+' stays '+' (it means a space only in HTML forms). nullopt on a
// '%' not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = HexDigit(in[i + 1]), lo = HexDigit(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::optional<uint32_t> ParseQuorum(std::string_view text) {
  uint32_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n > kMaxQuorum) return std::nullopt;
  return n;
}

// Reads ?r=&w=&pw=&zone=&blind= into `call`; the refusal when one is malformed or unknown.
std::optional<HttpAnswer> ParseQuery(std::string_view query, HttpCall& call) {
  std::optional<uint32_t> pw;
  bool pw_local = false;
  bool w_given = false;
  bool r_given = false;
  bool zone_given = false;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if ((name == "r" || name == "w" || name == "pw") && value == "local") {
      if (name == "r") {
        call.r_local = true;
        r_given = true;
      }
      if (name == "w") {
        call.w_local = true;
        w_given = true;
      }
      if (name == "pw") pw_local = true;
    } else if (name == "r" || name == "w" || name == "pw") {
      const std::optional<uint32_t> n = ParseQuorum(value);
      if (!n)
        return BadRequest(fmt::format(
            "query parameter {}={} is not a quorum: give a number of replicas from 1 to N, 0 "
            "for the node's own, or local (with zone=Z) for a majority of the key's replicas "
            "in zone Z",
            name, value));
      if (name == "r") {
        call.r = *n;
        r_given = true;
      }
      if (name == "w") {
        call.w = *n;
        w_given = true;
      }
      if (name == "pw") pw = *n;
    } else if (name == "zone") {
      std::optional<std::string> zone = PercentDecode(value);
      if (!zone) return BadRequest("query parameter zone is not percent-encoded");
      if (Status named = CheckZoneName(*zone); !named.ok())
        return BadRequest(fmt::format("query parameter zone: {}", named.message()));
      call.zone = std::move(*zone);
      zone_given = true;
    } else if (name == "blind") {
      if (value != "true" && value != "false" && !value.empty())
        return BadRequest(fmt::format("query parameter blind={} is not true or false", value));
      call.blind = value != "false";
    } else {
      return BadRequest(
          fmt::format("unknown query parameter '{}': /v1/kv takes r, w, pw, zone and blind", name));
    }
  }
  if (pw_local) {
    // As a numbered pw: the local quorum, counting the key's own replicas only.
    if (w_given && !call.w_local)
      return BadRequest(fmt::format(
          "pw=local and w={}: kv counts only the key's own replicas toward W when pw is given, "
          "so pw must equal w (or give pw alone)",
          call.w));
    call.w_local = true;
    call.primaries_only = true;
  }
  if (call.w_local && pw && *pw > 0)
    return BadRequest(fmt::format("w=local and pw={}: pw must equal w (pw=local)", *pw));
  const bool local = call.r_local || call.w_local;
  if (local && !zone_given)
    return BadRequest(
        "a local quorum (r=local, w=local or pw=local) needs zone=Z: the zone whose replicas "
        "count");
  if (zone_given && !local)
    return BadRequest(
        "zone=Z names the zone of a local quorum: give r=local, w=local or pw=local with it");
  // A write at the local quorum reads first at the same zone's quorum unless told otherwise, so
  // that it too waits on no other zone.
  if (call.w_local && !r_given && !call.blind) call.r_local = true;
  if (pw && *pw > 0) {
    // kv's PW counts only the key's own replicas toward W (PutRequest::primaries_only), so PW
    // and W are one number here.
    if (w_given && call.w != *pw)
      return BadRequest(fmt::format(
          "pw={} and w={}: kv counts only the key's own replicas toward W when pw is given, so "
          "pw must equal w (or give pw alone)",
          *pw, call.w));
    call.w = *pw;
    call.primaries_only = true;
  }
  return std::nullopt;
}

std::string_view AllowFor(HttpCall::Route route) {
  return route == HttpCall::Route::kKv ? "GET, PUT, DELETE" : "GET";
}

bool RouteServes(HttpCall::Route route, HttpMethod method) {
  if (route == HttpCall::Route::kKv)
    return method == HttpMethod::kGet || method == HttpMethod::kPut ||
           method == HttpMethod::kDelete;
  return method == HttpMethod::kGet;
}

template <class M>
Frame MessageFrame(const M& message) {
  return Frame{.type = M::kType, .request_id = kRequestId, .body = EncodeMessage(message)};
}

template <class M>
Result<M> DecodeAnswer(const Frame& answer, std::string_view call) {
  if (answer.type != M::kType)
    return Status::Protocol(fmt::format("a {} was answered with a {} message", call,
                                        wire::MessageTypeName(answer.type)));
  return DecodeMessage<M>(answer.body);
}

HttpAnswer JsonAnswer(unsigned status, std::string body) {
  HttpAnswer answer;
  answer.status = status;
  answer.content_type = "application/json";
  answer.body = std::move(body);
  return answer;
}

}  // namespace

std::variant<HttpCall, HttpAnswer> ParseHttpCall(HttpMethod method, std::string_view target,
                                                 std::string_view context_header) {
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  HttpCall call;
  call.method = method;
  if (path.starts_with(kKvPrefix)) {
    call.route = HttpCall::Route::kKv;
  } else if (path == "/v1/ring") {
    call.route = HttpCall::Route::kRing;
  } else if (path == "/v1/stats") {
    call.route = HttpCall::Route::kStats;
  } else if (path == "/health") {
    call.route = HttpCall::Route::kHealth;
  } else if (path == "/metrics") {
    call.route = HttpCall::Route::kMetrics;
  } else {
    return ErrorAnswer(404, Status::NotFound(fmt::format(
                                "no such path {}: the API serves /v1/kv/KEY, /v1/ring, /v1/stats, "
                                "/health and /metrics",
                                IsValidUtf8(path) ? path : "(not UTF-8)")));
  }
  if (!RouteServes(call.route, method)) {
    const std::string_view route_path =
        call.route == HttpCall::Route::kKv ? std::string_view("/v1/kv/KEY") : path;
    HttpAnswer refusal =
        ErrorAnswer(405, Status::InvalidArgument(
                             fmt::format("{} serves {} only", route_path, AllowFor(call.route))));
    refusal.allow = AllowFor(call.route);
    return refusal;
  }
  if (call.route != HttpCall::Route::kKv) {
    if (!query.empty()) return BadRequest(fmt::format("{} takes no query parameters", path));
    return call;
  }

  const std::string_view encoded_key = path.substr(kKvPrefix.size());
  // Checked before decoding: an encoded key is at most three bytes per byte.
  if (encoded_key.size() > 3 * kMaxKeyBytes)
    return ErrorAnswer(413, Status::InvalidArgument(fmt::format(
                                "the key is larger than the limit of {} bytes", kMaxKeyBytes)));
  std::optional<std::string> key = PercentDecode(encoded_key);
  if (!key)
    return BadRequest("the key is not percent-encoded: a '%' needs two hex digits after it");
  if (key->empty()) return BadRequest("the key is empty: PUT, GET or DELETE /v1/kv/KEY");
  if (key->size() > kMaxKeyBytes)
    return ErrorAnswer(
        413, Status::InvalidArgument(fmt::format("the key is {} bytes, past the limit of {} bytes",
                                                 key->size(), kMaxKeyBytes)));
  call.key = std::move(*key);
  if (std::optional<HttpAnswer> refusal = ParseQuery(query, call)) return *refusal;
  if (method == HttpMethod::kGet &&
      (call.w != 0 || call.w_local || call.primaries_only || call.blind))
    return BadRequest("GET takes r (and zone) only: w, pw and blind are for PUT and DELETE");
  if (method != HttpMethod::kGet && call.blind && (call.r != 0 || call.r_local))
    return BadRequest("r is the quorum of the read before the write, which blind=true skips");
  if (!context_header.empty()) {
    if (method == HttpMethod::kGet)
      return BadRequest(fmt::format("GET takes no {} header: it returns one", kContextHeader));
    if (call.blind)
      return BadRequest(fmt::format(
          "blind=true writes with no context: give blind=true or the {} header, not both",
          kContextHeader));
    Result<VectorClock> clock = ContextTokenFromText(context_header);
    if (!clock.ok())
      return BadRequest(fmt::format("the {} header: {}", kContextHeader, clock.status().message()));
    call.context = EncodeContextToken(*clock);
  }
  return call;
}

Frame GetFrame(const HttpCall& call) {
  return MessageFrame(
      GetRequest{.key = call.key, .r = call.r, .local_zone = call.r_local ? call.zone : ""});
}

Frame PutFrame(const HttpCall& call, std::string value, std::string context) {
  return MessageFrame(PutRequest{.key = call.key,
                                 .value = std::move(value),
                                 .context = std::move(context),
                                 .w = call.w,
                                 .forwarded = false,
                                 .primaries_only = call.primaries_only,
                                 .local_zone = call.w_local ? call.zone : ""});
}

Frame DeleteFrame(const HttpCall& call, std::string context) {
  return MessageFrame(DeleteRequest{.key = call.key,
                                    .context = std::move(context),
                                    .w = call.w,
                                    .forwarded = false,
                                    .primaries_only = call.primaries_only,
                                    .local_zone = call.w_local ? call.zone : ""});
}

Frame RingFrame() {
  return MessageFrame(RingRequest{});
}
Frame StatsFrame() {
  return MessageFrame(StatsRequest{});
}
Frame MetricsFrame() {
  return MessageFrame(MetricsRequest{});
}

Result<Frame> DecodeAnswerFrame(std::string_view bytes) {
  Result<std::optional<Frame>> frame = DecodeFrame(&bytes);
  if (!frame.ok()) return frame.status();
  if (!*frame || !bytes.empty())
    return Status::Protocol("the node's answer is not one whole frame");
  if ((*frame)->type == wire::MessageType::kError) {
    KV_ASSIGN_OR_RETURN(ErrorResponse error, DecodeMessage<ErrorResponse>((*frame)->body));
    return ErrorResponseToStatus(error);
  }
  return std::move(**frame);
}

Result<std::string> ReadFirstContext(const Frame& get_answer) {
  KV_ASSIGN_OR_RETURN(GetResponse got, DecodeAnswer<GetResponse>(get_answer, "get"));
  return std::move(got.context);
}

HttpAnswer AnswerGet(const Frame& answer) {
  Result<GetResponse> got = DecodeAnswer<GetResponse>(answer, "get");
  if (!got.ok()) return ErrorAnswer(got.status());
  // No replica has the key: no sibling set at all.
  Result<SiblingSet> siblings =
      got->siblings.empty() ? SiblingSet() : SiblingSet::Decode(got->siblings);
  if (!siblings.ok()) return ErrorAnswer(siblings.status());
  HttpAnswer out;
  out.context = Base64Encode(got->context);
  // kvget's rule (libkv/client/get_result.h): nothing or only deletes is not found; one value is
  // the value; anything else (a value beside a delete too) is siblings to resolve.
  if (siblings->empty() || siblings->AllTombstones()) {
    HttpAnswer missing = ErrorAnswer(404, Status::NotFound("no such key"));
    missing.context = std::move(out.context);
    return missing;
  }
  if (siblings->size() == 1) {
    out.status = 200;
    out.content_type = "application/octet-stream";
    out.body = siblings->versions().front().value;
    return out;
  }
  boost::json::object body;
  body["siblings"] = SiblingSetJson(*siblings, "tombstone");
  body["context"] = out.context;
  out.status = 300;
  out.content_type = "application/json";
  out.body = json::Serialize(body) + "\n";
  return out;
}

HttpAnswer AnswerWrite(const Frame& answer) {
  const bool ok = answer.type == wire::MessageType::kPutResponse ||
                  answer.type == wire::MessageType::kDeleteResponse;
  if (!ok)
    return ErrorAnswer(Status::Protocol(
        fmt::format("a write was answered with a {} message", wire::MessageTypeName(answer.type))));
  HttpAnswer done;
  done.status = 204;
  return done;
}

HttpAnswer AnswerRing(const Frame& answer) {
  Result<RingResponse> ring = DecodeAnswer<RingResponse>(answer, "ring request");
  if (!ring.ok()) return ErrorAnswer(ring.status());
  return JsonAnswer(200, FormatRingJson(*ring));
}

HttpAnswer AnswerStats(const Frame& answer) {
  Result<StatsResponse> stats = DecodeAnswer<StatsResponse>(answer, "stats request");
  if (!stats.ok()) return ErrorAnswer(stats.status());
  return JsonAnswer(200, FormatStatsJson(*stats));
}

HttpAnswer AnswerMetrics(const Frame& answer) {
  Result<MetricsResponse> metrics = DecodeAnswer<MetricsResponse>(answer, "metrics request");
  if (!metrics.ok()) return ErrorAnswer(metrics.status());
  HttpAnswer out;
  out.content_type = "text/plain; version=0.0.4; charset=utf-8";
  out.body = std::move(metrics->text);
  return out;
}

unsigned HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk:
      return 200;
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
    case ErrorCode::kMaybeApplied:
      return 503;
    case ErrorCode::kCorruption:
    case ErrorCode::kIOError:
    case ErrorCode::kProtocol:
      return 500;
  }
  return 500;
}

HttpAnswer ErrorAnswer(unsigned http_status, const Status& status) {
  std::string code(ErrorCodeName(status.code()));
  std::replace(code.begin(), code.end(), ' ', '_');
  std::string message = status.message();
  if (status.code() == ErrorCode::kMaybeApplied &&
      message.find("may have been applied") == std::string::npos)
    message += " (the write may have been applied: read the key to see whether it landed)";
  boost::json::object body;
  body["error"] = json::TextOr(message, "(the message is not UTF-8)");
  body["code"] = std::move(code);
  return JsonAnswer(http_status, json::Serialize(body) + "\n");
}

HttpAnswer ErrorAnswer(const Status& status) {
  return ErrorAnswer(HttpStatusFor(status), status);
}

}  // namespace kv
