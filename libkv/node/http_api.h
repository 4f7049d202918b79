// The HTTP API's meaning, apart from its sockets (docs/architecture.md, "HTTP API"; man
// kv-http(7)): which route and call an HTTP request asks for, the wire-protocol request frames
// that serve it (the same GetRequest, PutRequest, ... a kv client sends, answered by the same
// NodeService::Answer, admitted by the same ConnectionAuthority), and the HTTP answer each wire
// answer becomes. HttpConnection (http_connection.h) reads and writes the bytes; everything
// here is a pure function, any thread.
//
//   GET    /v1/kv/{key}[?r=R]                   200 the value's bytes, 300 siblings, 404
//   PUT    /v1/kv/{key}[?w=W&pw=PW&blind=true]  204; the value is the body
//   DELETE /v1/kv/{key}[?w=W&pw=PW&blind=true]  204
// R, W and PW may also be `local`, with zone=Z: the local quorum of zone Z (a majority of the
// key's replicas there; libkv/replication/local_quorum.h). A PUT or DELETE at w=local reads
// first at r=local unless r is given.
//   GET    /v1/ring, /v1/stats, /health
//   GET    /metrics                            Prometheus text (docs/metrics.md)
//
// The key is the path segment after /v1/kv/, percent-decoded (any bytes, '/' as %2F). The
// context travels in the X-Kv-Context header as base64 (the token kvget prints): GET returns it,
// PUT and DELETE take it back. A PUT or DELETE without one reads the key first (GET's read
// quorum) and writes with the context that read saw, as kvput does, so that an overwrite
// overwrites and a delete deletes; ?blind=true writes without reading and without a context,
// and the write becomes a sibling of whatever is there.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"

namespace kv {

// The header that carries a context token, base64.
inline constexpr std::string_view kContextHeader = "X-Kv-Context";

enum class HttpMethod { kGet, kPut, kDelete, kHead, kPost, kOther };

// One HTTP answer before it is framed: status, Content-Type, body, and the headers the API adds.
struct HttpAnswer {
  unsigned status = 200;
  std::string content_type;  // empty with no body
  std::string body;
  std::string context;  // X-Kv-Context (base64); empty: not sent
  std::string allow;    // Allow, for a 405
};

// What a request asks once its method, target and context header are read.
struct HttpCall {
  enum class Route { kKv, kRing, kStats, kHealth, kMetrics };
  Route route = Route::kHealth;
  HttpMethod method = HttpMethod::kGet;
  std::string key;  // kKv: percent-decoded
  uint32_t r = 0;   // ?r=, ?w=: 0 the node's own quorum
  uint32_t w = 0;
  bool r_local = false;         // ?r=local: the local quorum of `zone` (r is then 0)
  bool w_local = false;         // ?w=local or ?pw=local (w is then 0)
  std::string zone;             // ?zone=: the zone of a local quorum; given only with one
  bool primaries_only = false;  // ?pw=: Riak's PW, as kvput --pw; its number must equal w
  bool blind = false;           // ?blind=true
  std::string context;          // the binary token from X-Kv-Context; empty: none given
};

// The call `method` and `target` (path and query) ask, with the X-Kv-Context header's value
// (empty when absent); or the answer refusing it: 404 an unknown path, 405 a method the route
// does not serve (with Allow), 400 a malformed key, query parameter or context, 413 a key past
// kMaxKeyBytes.
std::variant<HttpCall, HttpAnswer> ParseHttpCall(HttpMethod method, std::string_view target,
                                                 std::string_view context_header);

// The request frames of a call (request id 1). REQUIRES: call.route is the one named.
Frame GetFrame(const HttpCall& call);  // kKv: GET and the read-first read
Frame PutFrame(const HttpCall& call, std::string value, std::string context);
Frame DeleteFrame(const HttpCall& call, std::string context);
Frame RingFrame();
Frame StatsFrame();
Frame MetricsFrame();

// The wire answer to a request frame, decoded from the bytes the handler returned: the answer
// frame, or the Status its Error frame carried (Protocol when the bytes are no frame).
Result<Frame> DecodeAnswerFrame(std::string_view bytes);

// What a read-first read saw: its context token (empty for a key never written), to write with.
Result<std::string> ReadFirstContext(const Frame& get_answer);

// The HTTP answer to each call's wire answer. A GET: 200 with the value's bytes when there is
// one value, 300 with every sibling as JSON ({"siblings": [...], "context": "..."}, each
// sibling as kvget --json shows it) when there are several, 404 when there is none (or only
// deletes); each with the context header. A write: 204. Ring and stats: 200 with their JSON.
// Metrics: 200 with the exposition text, as Prometheus scrapes it (text format 0.0.4).
HttpAnswer AnswerGet(const Frame& answer);
HttpAnswer AnswerWrite(const Frame& answer);
HttpAnswer AnswerRing(const Frame& answer);
HttpAnswer AnswerStats(const Frame& answer);
HttpAnswer AnswerMetrics(const Frame& answer);

// The status code of a failed call: 400 invalid argument, 403 permission denied, 404 not
// found, 503 unavailable, timeout and maybe applied (a quorum not met; the body says whether
// the write may have been applied), 500 the rest.
unsigned HttpStatusFor(const Status& status);
// {"error":"...","code":"..."} with that status; `code` is the error code's name with '_' for
// spaces ("maybe_applied", "invalid_argument").
HttpAnswer ErrorAnswer(unsigned http_status, const Status& status);
HttpAnswer ErrorAnswer(const Status& status);

}  // namespace kv
