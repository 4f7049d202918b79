// PipelinedConnection: one TCP (or TLS: ConnectOptions::tls) connection to a node, shared by many
// calls. A call sends its request frame at once (no waiting for earlier answers) and waits for the
// answer frame with its request id, or its own deadline; the node may answer in any order. The one
// implementation of this under AsyncClient (client tools, kvbench) and TcpTransport (node to node).
//
// Answers are read in bulk (FrameReader): every whole frame of a read is handed to its caller
// before the socket is read again; requests queued while a write is under way go out together in
// the next gathered write.
//
// Once the connection breaks (read or write error, the peer closed it or refused it with a
// connection-level Error frame, Close) every waiting and later call fails with the reason, naming
// the peer and the cause; it never reconnects: the owner makes a new one. Unavailable then means
// the call's request was certainly not sent (its frame had not been handed to the socket); a call
// whose request may have left gets MaybeApplied instead (transport.h). Except when the peer closed
// the connection with a connection-level Error of code Unavailable (a node's idle timeout): the
// node so says it read no request it had not answered, so every call then fails Unavailable, and
// closed_unread() tells the owner it may send them again on a new connection.
// Threads: Connect's executor must not run handlers in parallel (a strand, or a single-threaded
// io_context); every call, Close and the destructor run on it. Owned by shared_ptr: its read and
// write loops keep it alive until they end. Destroy it before its io_context (stopping the
// io_context first is fine).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"
#include "libkv/net/host_port.h"
#include "libkv/net/stream.h"
#include "libkv/net/tls.h"

namespace kv {

struct ConnectOptions {
  std::string cluster_name = "kv";
  // Resolving, connecting and the handshake together.
  std::chrono::milliseconds timeout{5000};
  // Appended to "cannot connect to HOST:PORT: Connection refused" (see libkv/net/connect.h).
  std::string refused_hint;
  // This side's TLS credentials; null: plain TCP.
  std::shared_ptr<TlsContext> tls = nullptr;
};

class PipelinedConnection : public std::enable_shared_from_this<PipelinedConnection> {
 public:
  // Connects and completes the handshake within options.timeout (Timeout "cannot connect to
  // HOST:PORT: no answer within N ms" after it), so a wrong address or cluster fails here.
  static boost::asio::awaitable<Result<std::shared_ptr<PipelinedConnection>>> Connect(
      boost::asio::any_io_executor executor, HostPort peer, ConnectOptions options);

  // Use Connect. Public only for std::make_shared.
  struct Handshaken {};
  PipelinedConnection(Handshaken, Stream stream, std::string peer);
  ~PipelinedConnection();
  PipelinedConnection(const PipelinedConnection&) = delete;
  PipelinedConnection& operator=(const PipelinedConnection&) = delete;

  // Ids unique on this connection, from 1 (0 is the connection's own, see docs/formats.md).
  uint64_t NextRequestId() { return next_request_id_++; }

  // Sends `request_frame` (a whole frame carrying `request_id`) and returns the answer frame.
  // An Error answer comes back as its Status (its own code), with the peer's address in front.
  // Otherwise, as transport.h says: Unavailable when the request was certainly not sent (the
  // connection was broken, or broke, timed out or was cancelled before the frame went to the
  // socket; a frame not sent by then never is); once it may have left, MaybeApplied when the
  // connection breaks or the caller's coroutine is cancelled, and Timeout "no answer from
  // HOST:PORT within N ms" (the request may still be acted on; callers say so as fits).
  // REQUIRES: request_id unique among this connection's calls in flight.
  boost::asio::awaitable<Result<Frame>> Call(std::string request_frame, uint64_t request_id,
                                             std::chrono::milliseconds timeout);

  // Fails every waiting call with `why` (not Ok) and closes the socket; later calls fail at once
  // with it. Idempotent: the first reason stays.
  void Close(const Status& why);

  // Ok while the connection works; else why it broke.
  const Status& broken() const { return broken_; }
  // The peer closed it saying it read nothing it had not answered (see above): a call that
  // failed Unavailable on it may be sent again on a new connection.
  bool closed_unread() const { return closed_unread_; }
  const std::string& peer() const { return peer_; }
  // Calls sent and not yet answered, timed out or failed.
  size_t in_flight() const { return waiting_.size(); }

 private:
  // A call waiting for its answer. The timer is both the deadline and the wake-up: the read loop
  // (or Close) sets `answer` and cancels it.
  struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    std::optional<Result<Frame>> answer;
    bool sent = false;  // its frame was handed to the socket: it may have reached the peer
  };

  void Start();
  // Close, with `for_sent` as the failure of calls whose request went to the socket.
  void Fail(const Status& why, const Status& for_sent);
  boost::asio::awaitable<void> ReadLoop();
  boost::asio::awaitable<void> WriteLoop();

  Stream stream_;
  std::string peer_;                                     // HOST:PORT, for messages
  boost::asio::steady_timer output_ready_;               // cancelled when output_ has frames
  std::vector<std::string> output_;                      // frames for the write loop
  std::vector<std::shared_ptr<Waiter>> output_waiters_;  // the call of each frame in output_
  std::unordered_map<uint64_t, std::shared_ptr<Waiter>> waiting_;
  Status broken_;  // Ok while the connection works
  bool closed_unread_ = false;
  uint64_t next_request_id_ = 1;
};

}  // namespace kv
