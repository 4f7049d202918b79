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
// Threads: Call from any coroutine on any executor, many at once; each peer's connection lives
// on its own strand of the transport's executor, and a call resumes on the caller's executor.
// Close and the destructor may run on any thread. Destroy the transport before its io_context
// (stopping the io_context first is fine: nothing then waits for it to run).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

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

  // Peers with a connection or a connection attempt (for tests and status pages).
  size_t peer_count() const;

 private:
  class Peer;

  boost::asio::any_io_executor executor_;
  std::string cluster_name_;
  TcpTransportOptions options_;
  std::atomic<bool> closed_{false};
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Peer>> peers_;  // GUARDED_BY(mutex_)
};

}  // namespace kv
