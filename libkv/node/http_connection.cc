#include "libkv/node/http_connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <variant>

#include "libkv/base/json.h"
#include "libkv/base/limits.h"

namespace kv {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

HttpMethod MethodOf(http::verb verb) {
  switch (verb) {
    case http::verb::get:
      return HttpMethod::kGet;
    case http::verb::put:
      return HttpMethod::kPut;
    case http::verb::delete_:
      return HttpMethod::kDelete;
    case http::verb::head:
      return HttpMethod::kHead;
    case http::verb::post:
      return HttpMethod::kPost;
    default:
      return HttpMethod::kOther;
  }
}

// How a failed read of a request becomes an answer; nullopt: the client is gone, say nothing.
std::optional<HttpAnswer> AnswerReadError(const beast::error_code& ec, bool timed_out,
                                          std::chrono::milliseconds timeout) {
  if (timed_out)
    return ErrorAnswer(
        408, Status::Timeout(fmt::format("the request did not arrive whole within {} ms (kvnode "
                                         "--body-timeout-ms)",
                                         timeout.count())));
  if (ec == http::error::header_limit)
    return ErrorAnswer(431, Status::InvalidArgument(fmt::format(
                                "the request's header is larger than {} bytes", kHttpHeaderLimit)));
  if (ec == http::error::body_limit)
    return ErrorAnswer(413, Status::InvalidArgument(fmt::format(
                                "the value is larger than the limit of {} bytes; nothing was "
                                "written",
                                kMaxValueBytes)));
  if (ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == http::error::partial_message || ec.category() == asio::error::get_ssl_category() ||
      ec == asio::ssl::error::stream_truncated)
    return std::nullopt;
  return ErrorAnswer(
      400, Status::InvalidArgument(
               fmt::format("this is not an HTTP/1.1 request the API can read ({})", ec.message())));
}

}  // namespace

HttpConnection::HttpConnection(tcp::socket socket, const HttpContext* context,
                               std::function<void(HttpConnection*)> on_closed, Status refusal)
    : stream_(std::move(socket)),
      context_(context),
      refusal_(std::move(refusal)),
      on_closed_(std::move(on_closed)),
      deadline_(stream_.get_executor()),
      budget_retry_(stream_.get_executor()) {
  boost::system::error_code ec;
  tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
  peer_ = ec ? "unknown peer" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
  stream_.socket().set_option(tcp::no_delay(true), ec);
}

HttpConnection::~HttpConnection() {
  // Not Release: a connection destroyed with its io_context (a node stopping) may outlive the
  // context whose budget it held; Run releases on every way out instead.
  if (on_closed_) on_closed_(this);
}

void HttpConnection::StopReading() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stop_reading_ = true;
    // Between requests nothing is owed: close now. Mid-request the answer goes out first.
    if (self->waiting_idle_) self->CloseSocket();
  });
}

void HttpConnection::Abort() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->CloseSocket(); });
}

void HttpConnection::CloseSocket() {
  stream_.Close();
}

void HttpConnection::Arm(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  const uint64_t generation = ++deadline_generation_;
  if (timeout.count() <= 0) return;
  deadline_.expires_after(timeout);
  deadline_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || generation != self->deadline_generation_) return;
    self->timed_out_ = true;
    boost::system::error_code ignored;
    self->stream_.socket().cancel(ignored);  // the pending read or write ends with an error
  });
}

void HttpConnection::Disarm() {
  ++deadline_generation_;
  deadline_.cancel();
}

asio::awaitable<void> HttpConnection::Run() {
  auto self = shared_from_this();
  const ConnectionContext& wire = *context_->wire;
  if (wire.tls) {
    if (!co_await TlsHandshake()) {
      CloseSocket();
      co_return;
    }
    co_await ServeRequests(*stream_.tls());
  } else {
    co_await ServeRequests(*stream_.plain());
  }
  Disarm();
  Release();  // a request cut short gives back what it held
  CloseSocket();
  wire.logger->debug("HTTP connection from {} closed", peer_);
}

asio::awaitable<bool> HttpConnection::TlsHandshake() {
  const ConnectionContext& wire = *context_->wire;
  tcp::socket plain = std::move(stream_.socket());
  stream_ = Stream(std::move(plain), *wire.tls);
  Arm(wire.limits.handshake_timeout);
  Status shaken = co_await stream_.Handshake(Stream::Side::kServer);
  Disarm();
  if (!shaken.ok()) {
    wire.logger->info("closing HTTP connection from {}: {}", peer_, shaken.message());
    co_return false;
  }
  Result<CertificateSubject> subject = PeerCertificateSubject(stream_.tls()->native_handle());
  if (!subject.ok() || !subject->role) {
    wire.logger->info(
        "closing HTTP connection from {}: {}", peer_,
        subject.ok() ? fmt::format("its certificate for '{}' names no role", subject->common_name)
                     : subject.status().message());
    co_return false;
  }
  authority_ = ConnectionAuthority(*subject->role, subject->common_name);
  co_return true;
}

template <class S>
asio::awaitable<void> HttpConnection::ServeRequests(S& stream) {
  const ConnectionContext& wire = *context_->wire;
  const ConnectionLimits& limits = wire.limits;
  beast::flat_buffer buffer;
  for (;;) {
    if (stop_reading_) co_return;
    // Idle until the next request begins: only a client that has begun one counts against the
    // body timeout. Its first bytes are read here (through TLS: the socket alone cannot say
    // whether the TLS stream holds a request already); bytes already here need no wait.
    if (buffer.size() == 0) {
      waiting_idle_ = true;
      Arm(limits.idle_timeout);
      auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kNoThrow);
      waiting_idle_ = false;
      Disarm();
      if (read_ec || stop_reading_) co_return;  // idle too long, stopping, or closed
      buffer.commit(n);
    }

    http::request_parser<http::string_body> parser;
    parser.header_limit(kHttpHeaderLimit);
    parser.body_limit(kMaxValueBytes);
    Arm(limits.body_timeout);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    std::optional<HttpAnswer> answer;
    if (header_ec) {
      Disarm();
      answer = AnswerReadError(header_ec, timed_out_, limits.body_timeout);
      if (!answer) co_return;
      wire.logger->info("HTTP connection from {}: answered {} {}; closing it", peer_,
                        answer->status,
                        std::string_view(answer->body).substr(0, answer->body.find('\n')));
    }
    bool body_read = !header_ec && parser.is_done();
    bool keep_alive = !header_ec && parser.get().keep_alive();
    unsigned version = header_ec ? 11 : parser.get().version();
    std::optional<HttpCall> call;

    if (!answer && !refusal_.ok()) answer = ErrorAnswer(503, refusal_);
    if (!answer) {
      const auto& request = parser.get();
      std::variant<HttpCall, HttpAnswer> parsed =
          ParseHttpCall(MethodOf(request.method()), request.target(), request[kContextHeader]);
      if (auto* refused = std::get_if<HttpAnswer>(&parsed)) {
        answer = std::move(*refused);
      } else {
        call = std::move(std::get<HttpCall>(parsed));
      }
    }
    if (call && call->method == HttpMethod::kPut && !body_read) {
      // The size is known before a byte of the body is read (unless it is chunked: then the
      // parser's limit stops it at kMaxValueBytes).
      const boost::optional<uint64_t> length = parser.content_length();
      if (length && *length > kMaxValueBytes) {
        answer = ErrorAnswer(413, Status::InvalidArgument(fmt::format(
                                      "the value is {} bytes, past the limit of {} bytes; "
                                      "nothing was written",
                                      *length, kMaxValueBytes)));
      } else if (!co_await Reserve(length ? *length : kMaxValueBytes)) {
        answer = ErrorAnswer(
            503, Status::Unavailable("the node's connection memory is taken by other requests; "
                                     "try again (kvnode --memory-budget)"));
      } else {
        if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> go_on{http::status::continue_, version};
          Arm(limits.body_timeout);
          auto [continue_ec, n] = co_await http::async_write(stream, go_on, kNoThrow);
          if (continue_ec) co_return;
        }
        Arm(limits.body_timeout);
        auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, kNoThrow);
        Disarm();
        if (body_ec) {
          answer = AnswerReadError(body_ec, timed_out_, limits.body_timeout);
          if (!answer) co_return;
        } else {
          body_read = true;
        }
      }
    }
    Disarm();
    if (!answer) {
      std::string body = body_read ? std::move(parser.get().body()) : std::string();
      answer = co_await Answer(std::move(*call), std::move(body));
    }
    Release();

    // A body left unread (refused before it came) leaves the stream mid-message: close after.
    keep_alive = keep_alive && body_read && !stop_reading_ && refusal_.ok();
    http::response<http::string_body> response{static_cast<http::status>(answer->status), version};
    response.set(http::field::server, wire.server_name);
    if (!answer->content_type.empty())
      response.set(http::field::content_type, answer->content_type);
    if (!answer->context.empty()) response.set(kContextHeader, answer->context);
    if (!answer->allow.empty()) response.set(http::field::allow, answer->allow);
    response.body() = std::move(answer->body);
    response.keep_alive(keep_alive);
    response.prepare_payload();
    // A client that does not read its answer is cut off as an idle one would be.
    Arm(limits.idle_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, kNoThrow);
    Disarm();
    if (write_ec) co_return;
    if (!keep_alive) {
      co_await Linger();
      co_return;
    }
  }
}

asio::awaitable<HttpAnswer> HttpConnection::Answer(HttpCall call, std::string body) {
  using Route = HttpCall::Route;
  switch (call.route) {
    case Route::kHealth:
      co_return Health();
    case Route::kRing: {
      Result<Frame> answer = co_await Ask(RingFrame());
      co_return answer.ok() ? AnswerRing(*answer) : ErrorAnswer(answer.status());
    }
    case Route::kStats: {
      Result<Frame> answer = co_await Ask(StatsFrame());
      co_return answer.ok() ? AnswerStats(*answer) : ErrorAnswer(answer.status());
    }
    case Route::kMetrics: {
      Result<Frame> answer = co_await Ask(MetricsFrame());
      co_return answer.ok() ? AnswerMetrics(*answer) : ErrorAnswer(answer.status());
    }
    case Route::kKv:
      break;
  }
  if (call.method == HttpMethod::kGet) {
    Result<Frame> answer = co_await Ask(GetFrame(call));
    co_return answer.ok() ? AnswerGet(*answer) : ErrorAnswer(answer.status());
  }
  std::string context = std::move(call.context);
  if (!call.blind && context.empty()) {
    // Read first, as kvput does: the write supersedes every version that read saw.
    Result<Frame> seen = co_await Ask(GetFrame(call));
    Result<std::string> seen_context =
        seen.ok() ? ReadFirstContext(*seen) : Result<std::string>(seen.status());
    if (!seen_context.ok()) {
      const Status& s = seen_context.status();
      co_return ErrorAnswer(Status(
          s.code(), fmt::format("reading the key before writing it failed: {}; nothing was "
                                "written (blind=true writes without reading, as a sibling of "
                                "any version there)",
                                s.message())));
    }
    context = std::move(*seen_context);
  }
  Frame write = call.method == HttpMethod::kPut
                    ? PutFrame(call, std::move(body), std::move(context))
                    : DeleteFrame(call, std::move(context));
  Result<Frame> answer = co_await Ask(std::move(write));
  co_return answer.ok() ? AnswerWrite(*answer) : ErrorAnswer(answer.status());
}

asio::awaitable<Result<Frame>> HttpConnection::Ask(Frame request) {
  const ConnectionContext& wire = *context_->wire;
  if (Status admitted = authority_.Admit(request); !admitted.ok()) {
    if (!refusal_logged_) {
      refusal_logged_ = true;
      wire.logger->warn(
          "HTTP connection from {} ('{}'): {} (further refusals on this connection are not "
          "logged)",
          peer_, authority_.name(), admitted.message());
    }
    co_return admitted;
  }
  std::string bytes = co_await wire.handler(std::move(request));
  co_return DecodeAnswerFrame(bytes);
}

HttpAnswer HttpConnection::Health() const {
  if (context_->stopping.load())
    return ErrorAnswer(503, Status::Unavailable("this node is stopping"));
  if (context_->health) {
    if (Status s = context_->health(); !s.ok()) return ErrorAnswer(503, s);
  }
  HttpAnswer ok;
  ok.content_type = "text/plain";
  ok.body = "ok\n";
  return ok;
}

asio::awaitable<bool> HttpConnection::Reserve(size_t n) {
  const ConnectionContext& wire = *context_->wire;
  std::atomic<size_t>& total = wire.total_bytes_in_flight;
  const auto give_up = std::chrono::steady_clock::now() + wire.limits.body_timeout;
  bool counted = false;
  for (;;) {
    size_t current = total.load(std::memory_order_relaxed);
    // As on a kv connection, a request alone is always taken.
    while (current == 0 || current + n <= wire.max_total_bytes_in_flight) {
      if (total.compare_exchange_weak(current, current + n, std::memory_order_relaxed)) {
        reserved_ = n;
        co_return true;
      }
    }
    if (stop_reading_ || std::chrono::steady_clock::now() >= give_up) co_return false;
    if (!counted) wire.reads_paused.fetch_add(1, std::memory_order_relaxed);
    counted = true;
    budget_retry_.expires_after(std::chrono::milliseconds(1));
    co_await budget_retry_.async_wait(kNoThrow);
  }
}

void HttpConnection::Release() {
  if (reserved_ == 0) return;
  context_->wire->total_bytes_in_flight.fetch_sub(reserved_, std::memory_order_relaxed);
  reserved_ = 0;
}

asio::awaitable<void> HttpConnection::Linger() {
  tcp::socket& socket = stream_.socket();
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  Arm(std::chrono::seconds(1));  // a client that neither reads nor closes
  char sink[512];
  for (;;) {
    auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(sink), kNoThrow);
    if (read_ec) break;
  }
  Disarm();
}

}  // namespace kv
