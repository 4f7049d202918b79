// Transport: how one node calls another. A call sends one request frame to a node's address and
// waits for the answer frame with the same request id, so the coordinator, replication and
// gossip are written once and run over either implementation: TcpTransport (the real one, in
// kvnode: pooled, pipelined connections speaking the wire protocol of docs/formats.md) or
// SimNetwork's (tests: a whole cluster in one process, with dropped, delayed and partitioned
// messages and crashed nodes).
//
// The receiving side is a RequestHandler: the same function answers frames that came from a TCP
// connection (libkv/node/connection.cc) and from the simulated network.
//
// Threads: Call may be started from many coroutines at once, each on an executor that does not
// run handlers in parallel (a strand, or an io_context run by one thread); it completes on the
// caller's executor. Implementations are thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"
#include "libkv/net/wire_format.h"

namespace kv {

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends a request (type, body) to the node at `address` ("host:port") and returns its answer.
  // An answer of type Error comes back as the Status it carries, with its own code (a replica's
  // quorum shortfall stays MaybeApplied). The transport's own failures say whether the request
  // was sent, so that a caller knows what it may retry elsewhere (the message names the address
  // and the cause):
  //  - Unavailable: the request was certainly not sent (not connected and could not connect, no
  //    request slot in time, the connection broke or was closed before the request was written,
  //    the caller cancelled before it was written). Nothing happened at the node.
  //  - Timeout (no answer within `timeout`) or MaybeApplied (the connection broke, or the caller
  //    was cancelled, after the request was handed to the socket): it may have been applied.
  // Never Unavailable for a request that may have left. Never throws.
  virtual boost::asio::awaitable<Result<Frame>> Call(std::string address, wire::MessageType type,
                                                     std::string body,
                                                     std::chrono::milliseconds timeout) = 0;
};

// Answers one request frame with one whole answer frame (same request id): a response, or an
// Error frame. Runs on an executor that does not run handlers in parallel (a strand).
using RequestHandler = std::function<boost::asio::awaitable<std::string>(Frame request)>;

}  // namespace kv
