// AsyncClient: one connection to a node shared by many coroutines. Each call sends its request at
// once (pipelining: no waiting for earlier answers) and waits for the answer with its request id,
// up to options.timeout; the node may answer in any order. For load generators (kvbench: 50
// requests in flight over one or a few connections) and, later, coordinators.
//
// Results and errors as Client's (client.h). After the connection breaks every call fails
// (a write whose request had left with MaybeApplied, the others with Unavailable); make a new
// AsyncClient to go on (no silent reconnect: a load generator must see the failure). The one
// exception is the node closing an idle connection, saying it read nothing unanswered
// (PipelinedConnection::closed_unread): that is no failure, so the next call reconnects, and a
// call caught by the close is sent once more on the new connection.
// Threads: every call, and the destructor, from coroutines on the executor given to Connect,
// which must not run handlers in parallel (a single-threaded io_context, or a strand). Destroy
// the client before that executor's io_context.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>

#include "libkv/base/status.h"
#include "libkv/client/client.h"
#include "libkv/net/frame.h"
#include "libkv/net/host_port.h"

namespace kv {

class PipelinedConnection;

class AsyncClient {
 public:
  static boost::asio::awaitable<Result<std::unique_ptr<AsyncClient>>> Connect(
      boost::asio::any_io_executor executor, HostPort node, ClientOptions options);
  // Closes the connection; calls still waiting fail (as after a break, above).
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Arguments by value: they must outlive the coroutine's suspension. The overloads without
  // options stand for default arguments, which GCC 12 copies wrongly into a coroutine's frame
  // (a std::string member then points into the dead argument: a crash at its destruction).
  boost::asio::awaitable<Result<GetResult>> Get(std::string key, ReadOptions options);
  boost::asio::awaitable<Result<GetResult>> Get(std::string key) {
    return Get(std::move(key), ReadOptions());
  }
  boost::asio::awaitable<Status> Put(std::string key, std::string value, WriteOptions options);
  boost::asio::awaitable<Status> Put(std::string key, std::string value) {
    return Put(std::move(key), std::move(value), WriteOptions());
  }
  boost::asio::awaitable<Status> Delete(std::string key, WriteOptions options);
  boost::asio::awaitable<Status> Delete(std::string key) {
    return Delete(std::move(key), WriteOptions());
  }
  // An empty key: the ring only.
  boost::asio::awaitable<Result<RingResponse>> Ring(std::string key);

  const HostPort& node() const { return node_; }
  // Requests sent and not yet answered or timed out.
  size_t in_flight() const;

 private:
  AsyncClient(boost::asio::any_io_executor executor, HostPort node, ClientOptions options,
              std::shared_ptr<PipelinedConnection> connection);
  // The connection to send on: a new one once the node closed the last one idle (concurrent
  // callers share one attempt).
  boost::asio::awaitable<Result<std::shared_ptr<PipelinedConnection>>> Usable();
  boost::asio::awaitable<Result<Frame>> Call(std::string request_frame, uint64_t request_id,
                                             bool is_write);

  boost::asio::any_io_executor executor_;
  HostPort node_;
  ClientOptions options_;
  bool reconnecting_ = false;
  std::unique_ptr<boost::asio::steady_timer> reconnected_;  // woken (cancelled) when it ends
  std::shared_ptr<PipelinedConnection> connection_;         // shared with its read and write loops
  uint64_t next_request_id_ = 1;
};

}  // namespace kv
