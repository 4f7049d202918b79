// HttpConnection: the node's side of one connection to its HTTP API (Boost.Beast; the API's
// meaning is http_api.h). Over TLS when the node has certificates: HTTPS, the client's
// certificate required and its role applied, as on a kv connection. Each request becomes the
// kv requests that serve it (http_api.h), admitted by the connection's ConnectionAuthority and
// answered by the node's RequestHandler (NodeService::Answer) on this connection's shard, so the
// coordinator, the quorums, the roles and the write path (no thread waits on an fsync) are the
// wire protocol's own. Requests on a connection are served one at a time (HTTP/1.1 keep-alive;
// a pipelined request waits for the answer before it).
//
// Bounds (a client on another host may be hostile): a request's header is at most
// kHttpHeaderLimit bytes (431 past it); a PUT's body at most kMaxValueBytes, refused with 413
// from its Content-Length before it is read; a request's header, and then its body, must each
// arrive within ConnectionLimits::body_timeout (408, then close); a connection idle longer than
// idle_timeout between requests is closed; bytes that are not HTTP get 400 and a close; a body
// is read only when the node's connection memory budget has room for it (shared with the kv
// connections), else waits for it (503 after the body timeout). The Node counts HTTP
// connections with the kv ones.
//
// Ownership: shared by its coroutine (shared_from_this); destroyed when Run ends, which calls
// on_closed(this). Threads: all state on the socket's executor; StopReading and Abort from any.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "libkv/base/status.h"
#include "libkv/net/stream.h"
#include "libkv/net/transport.h"
#include "libkv/node/connection.h"
#include "libkv/node/connection_authority.h"
#include "libkv/node/http_api.h"
#include "libkv/node/served_connection.h"

namespace spdlog {
class logger;
}

namespace kv {

// A request's header (request line and fields) at most: room for a key of kMaxKeyBytes
// percent-encoded (three bytes each) and ordinary fields.
inline constexpr size_t kHttpHeaderLimit = 3 * 64 * 1024 + 16 * 1024;

// What every HTTP connection of a node shares; owned by the Node, outlives its connections.
struct HttpContext {
  // The kv connections' context: the handler, the TLS credentials, the limits, the logger and
  // the connection memory budget are theirs.
  const ConnectionContext* wire = nullptr;
  // Ok while the node serves (GET /health), else why not: joining, leaving, not reached the
  // cluster (NodeService::Health).
  std::function<Status()> health;
  std::atomic<bool> stopping{false};  // the node is stopping: /health answers 503
};

class HttpConnection : public ServedConnection,
                       public std::enable_shared_from_this<HttpConnection> {
 public:
  // `refusal` not Ok: the connection was over a limit of the node's; its first request is
  // answered with 503 and that reason, and it closes. REQUIRES: socket's executor does not run
  // handlers in parallel.
  HttpConnection(boost::asio::ip::tcp::socket socket, const HttpContext* context,
                 std::function<void(HttpConnection*)> on_closed, Status refusal = Status::Ok());
  ~HttpConnection() override;
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  boost::asio::any_io_executor executor() { return stream_.get_executor(); }

  // Serves the connection to its end. Start it with co_spawn on the socket's executor.
  boost::asio::awaitable<void> Run();

  void StopReading() override;
  void Abort() override;

 private:
  // Over TLS: the handshake and the certificate's role. False: the connection is to close.
  boost::asio::awaitable<bool> TlsHandshake();
  template <class S>
  boost::asio::awaitable<void> ServeRequests(S& stream);
  // The answer to one call; `body` is a PUT's value.
  boost::asio::awaitable<HttpAnswer> Answer(HttpCall call, std::string body);
  // One kv request through the node's handler, admitted first by the connection's role.
  boost::asio::awaitable<Result<Frame>> Ask(Frame request);
  HttpAnswer Health() const;
  // Waits (polling, as Connection does) until n bytes of the node's connection budget are held,
  // for at most the body timeout. False: not taken.
  boost::asio::awaitable<bool> Reserve(size_t n);
  void Release();
  // Closes the socket after `timeout` unless Disarm comes first (each Arm replaces the last).
  void Arm(std::chrono::milliseconds timeout);
  void Disarm();
  // Sends nothing more, waits (1 s at most) for the client to close, then closes: the close is
  // then a FIN, not a reset that could destroy the answer before the client reads it.
  boost::asio::awaitable<void> Linger();
  void CloseSocket();

  Stream stream_;
  const HttpContext* const context_;
  const Status refusal_;
  std::function<void(HttpConnection*)> on_closed_;
  std::string peer_;
  ConnectionAuthority authority_;  // set by TlsHandshake; plain TCP admits every request
  bool refusal_logged_ = false;

  boost::asio::steady_timer deadline_;
  uint64_t deadline_generation_ = 0;  // an expiry of an older Arm does nothing
  bool timed_out_ = false;
  bool stop_reading_ = false;
  bool waiting_idle_ = false;  // between requests: StopReading closes at once
  boost::asio::steady_timer budget_retry_;
  size_t reserved_ = 0;  // of the node's connection budget, for the request being served
};

}  // namespace kv
