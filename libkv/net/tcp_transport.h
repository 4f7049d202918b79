// TcpTransport: the real Transport (transport.h), node to node over TCP, or TLS with the node's
// certificate (TcpTransportOptions::tls). One pipelined
// connection (PipelinedConnection) per peer address, opened at the first call to that peer,
// shared by every call to it, and replaced at the next call after it breaks; calls in flight on
// a broken connection fail naming the peer and the cause (MaybeApplied once their request was
// written, Unavailable before: transport.h). A call on a connection the peer closed while idle,
// reading none of it (PipelinedConnection::closed_unread), is sent once more on a new one.
// Concurrent first calls to a peer share one connection attempt. At most options.max_in_flight
// calls per peer are on the wire at once; more wait for a slot, within their own timeout
// (Unavailable when none came: never sent).
//
// Threads: Call from any coroutine on any executor, many at once; a call resumes on the caller's
// executor. Close and the destructor may run on any thread. Destroy the transport before its
// io_contexts (stopping them first is fine: nothing then waits for them to run).
//  - Sharded (the node's form): each of `shards` is an io_context run by exactly one thread, and
//    each shard has its own connection to each peer, living on that shard. A call from a
//    coroutine running on a shard (its io_context's executor, or a strand of it) uses its shard's
//    connection and runs there to the end: no hand-off to another thread, no strand. A call from
//    anywhere else is posted to the first shard's connection and back.
//  - With one executor (any, e.g. a multi-threaded io_context): each peer's connection lives on
//    its own strand of it, and every call is posted there and back.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/net/tls.h"
#include "libkv/net/transport.h"

namespace kv {

struct TcpTransportOptions {
  // Resolving, connecting and the handshake with a peer; a call also gives up at its own timeout.
  std::chrono::milliseconds connect_timeout{2000};
  // Requests on the wire to one peer at once (sent, not yet answered or timed out); at least 1.
  size_t max_in_flight_per_peer = 1024;
  // The node's own certificate, key and CA (a certificate of role peer): every connection to a
  // peer is TLS with it. Null: plain TCP.
  std::shared_ptr<TlsContext> tls = nullptr;
};

class TcpTransport final : public Transport {
 public:
  // `cluster_name` goes into every handshake (the peer refuses another cluster's).
  TcpTransport(boost::asio::any_io_executor executor, std::string cluster_name,
               TcpTransportOptions options = {});
  // REQUIRES: shards is not empty; each io_context is run by one thread only, and outlives the
  // transport.
  TcpTransport(const std::vector<boost::asio::io_context*>& shards, std::string cluster_name,
               TcpTransportOptions options = {});
  // Close().
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // See Transport::Call. `address` is HOST:PORT (InvalidArgument otherwise). After Close,
  // Unavailable.
  boost::asio::awaitable<Result<Frame>> Call(std::string address, wire::MessageType type,
                                             std::string body,
                                             std::chrono::milliseconds timeout) override;

  // Fails the calls in flight ("the transport was closed": Unavailable, or MaybeApplied for a
  // request already written) and closes every connection; later calls fail at once. Returns
  // without waiting: the work is posted to each peer's strand. Idempotent.
  void Close();

  // Peer addresses with a connection or a connection attempt, on any shard (for tests and
  // status pages).
  size_t peer_count() const;

 private:
  class Peer;
  // One io_context's (or, unsharded, the one executor's) connections to its peers.
  struct Shard {
    boost::asio::io_context* context = nullptr;  // null: unsharded, a strand per peer
    boost::asio::any_io_executor executor;
    mutable std::mutex mutex;  // taken by its own thread but for Close and peer_count
    std::unordered_map<std::string, std::shared_ptr<Peer>> peers;  // GUARDED_BY(mutex)
  };

  // The shard whose io_context runs `executor`, or null when none does.
  Shard* ShardRunning(const boost::asio::any_io_executor& executor);
  // The shard's connection to `address`, made at the first call (InvalidArgument for an address
  // that is not HOST:PORT, Unavailable after Close).
  Result<std::shared_ptr<Peer>> PeerFor(Shard& shard, const std::string& address);

  std::string cluster_name_;
  TcpTransportOptions options_;
  std::atomic<bool> closed_{false};
  std::vector<std::unique_ptr<Shard>> shards_;  // never empty; fixed after construction
};

}  // namespace kv
