// Connection: the node's side of one connection from a client or a peer node. Handshake (over
// TLS when the node has certificates: the TLS handshake, then the kv one), then a
// read loop that reads whatever has arrived (FrameReader) and starts one coroutine per request
// in it (so requests on a connection run concurrently and are answered in any order, matched by
// request id), each answered by the node's RequestHandler (NodeService::Answer), and a write loop
// that sends every answer queued since its last write in one gathered write. A watchdog enforces
// ConnectionLimits' body and idle timeouts (no client holds a connection or its budget for ever).
//
// Ownership: shared by its coroutines (shared_from_this); destroyed when the last one ends, which
// calls on_closed(this). A request outside what the connection's certificate allows
// (ConnectionAuthority) is answered with an Error frame and not served. Threads: all state lives on
// the socket's executor; StopReading and Abort may be called from any thread (they post to it).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libkv/net/frame.h"
#include "libkv/net/frame_reader.h"
#include "libkv/net/stream.h"
#include "libkv/net/tls.h"
#include "libkv/net/transport.h"
#include "libkv/node/connection_authority.h"
#include "libkv/node/node_config.h"
#include "libkv/node/served_connection.h"
#include "libkv/storage/engine.h"

namespace spdlog {
class logger;
}

namespace kv {

// What every connection of a node shares; owned by the Node, outlives its connections.
struct ConnectionContext {
  RequestHandler handler;
  std::string cluster_name;
  std::string server_name;  // "kvnode 0.1.0"
  ConnectionLimits limits;
  spdlog::logger* logger = nullptr;
  // The node's certificate, key and CA: every connection must be TLS and present a certificate
  // the CA signed, whose role decides what it may ask. Null: plain TCP, every request served.
  std::shared_ptr<TlsContext> tls = nullptr;
  // The node's memory budget for connections (MemoryBudget::connection_bytes): request bodies
  // read and answers not yet written, all connections together. Past it every connection stops
  // reading its socket (back-pressure, nothing is dropped) until answers go out; a request alone
  // is always taken, so one larger than the limit is served by itself.
  size_t max_total_bytes_in_flight = 32 << 20;
  // A connection with nothing in flight takes one request up to this size whatever the budget
  // says: the budget may be passed by this much per connection (max_connections bounds it).
  static constexpr size_t kAlwaysAdmittedBytes = 64 << 10;
  mutable std::atomic<size_t> total_bytes_in_flight{0};  // shared by const users
  mutable std::atomic<uint64_t> reads_paused{0};  // times a connection waited for that budget
  // The one connection that may take the budget past its limit to finish a large frame it has
  // begun, until that request is answered (nullptr: none). Frames are reserved as their bytes
  // arrive, so without it frames begun on several connections could hold the whole budget
  // between them and each wait for the rest for ever. It passes the limit by one frame at most.
  mutable std::atomic<const void*> overdraft_holder{nullptr};
  // Of total_bytes_in_flight, what frames not yet whole hold: the overdraft is taken only when
  // another connection's frame holds some (otherwise answers and requests hold it, and free it).
  mutable std::atomic<size_t> partial_frame_bytes{0};
};

class Connection : public ServedConnection, public std::enable_shared_from_this<Connection> {
 public:
  // REQUIRES: socket's executor does not run handlers in parallel (a strand, or an io_context run
  // by one thread, as the node's shards are).
  Connection(boost::asio::ip::tcp::socket socket, const ConnectionContext* context,
             std::function<void(Connection*)> on_closed);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  boost::asio::any_io_executor executor() { return stream_.get_executor(); }

  // Serves the connection to its end: handshake, requests, answers to those in flight, close.
  // Start it with co_spawn on the socket's executor.
  boost::asio::awaitable<void> Run();

  // Stop reading requests; answer those already read, then close. Any thread.
  void StopReading() override;
  // Close the socket now; requests in flight finish in the engine but go unanswered. Any thread.
  void Abort() override;

 private:
  boost::asio::awaitable<bool> Handshake();
  // Over TLS: the TLS handshake and the certificate's role. False: the connection is to close.
  boost::asio::awaitable<bool> TlsHandshake();
  boost::asio::awaitable<void> ReadLoop();
  boost::asio::awaitable<void> WriteLoop();
  boost::asio::awaitable<void> Handle(Frame request, bool releases_overdraft);
  void Enqueue(std::string frame);
  // Takes n bytes of the node-wide budget when they fit (or nothing else is in flight), or
  // `always`.
  bool TryReserve(size_t n, bool always);
  void Release(size_t n);
  // Waits until n bytes of the budget are held (polling: other connections free it on their
  // strands); with `may_overdraw`, takes the overdraft instead once it is free while frames not
  // yet whole hold part of the budget. false: the connection is ending and nothing was taken.
  boost::asio::awaitable<bool> WaitForBudget(size_t n, bool may_overdraw);
  bool TakeOverdraft();
  void ReleaseOverdraft();
  // partial_reserved_ changes, with the node-wide count of it.
  void HoldForFrame(size_t n);
  void UnholdForFrame(size_t n);
  // Before a read: reserves what the reader will allocate for a large frame's body.
  boost::asio::awaitable<bool> ReserveNextAllocation(const FrameReader& reader);
  // Reads more into the reader, noting the times the watchdog judges by, and gives back the
  // budget of a body the reader replaced by a larger one.
  boost::asio::awaitable<Status> ReadMore(FrameReader& reader);
  // The body and idle timeouts: closes the connection when one has passed; else when to look.
  boost::asio::awaitable<void> Watchdog();
  std::chrono::steady_clock::time_point CheckReadDeadlines(
      std::chrono::steady_clock::time_point now);
  // Answers the idle close's Error, then waits (1 s at most) for the client to close first, so
  // that a request it sent meanwhile does not make our close a reset that loses the Error.
  boost::asio::awaitable<void> LingerUntilPeerCloses();
  void CloseSocket();

  Stream stream_;  // plain until TlsHandshake
  const ConnectionContext* const context_;
  ConnectionAuthority authority_;  // set by TlsHandshake; plain TCP admits every request
  bool refusal_logged_ = false;    // a refused request is logged once per connection
  std::function<void(Connection*)> on_closed_;
  std::string peer_;

  // Each timer is a wake-up for exactly one waiter: cancel() wakes it, the waiter re-checks.
  boost::asio::steady_timer request_done_;  // the read loop waits for room or for the drain
  boost::asio::steady_timer output_ready_;  // the write loop waits for answers or for closing
  boost::asio::steady_timer handshake_deadline_;
  boost::asio::steady_timer budget_retry_;  // polls the node-wide budget while it is spent
  boost::asio::steady_timer watchdog_;      // the body and idle timeouts' next check

  // A request counts against the limits from when it is read until its answer is written, so a
  // client that sends without reading stalls its own connection instead of growing our memory.
  size_t requests_in_flight_ = 0;  // read, answer not yet queued (in the engine)
  size_t bytes_in_flight_ = 0;     // request bodies of those
  size_t answers_unwritten_ = 0;   // answers queued or being written
  size_t answer_bytes_unwritten_ = 0;
  std::vector<std::string> output_;  // whole frames waiting for the write loop
  bool stop_reading_ = false;
  bool closing_ = false;  // no more answers will come; the write loop ends when output_ empties
  bool write_failed_ = false;
  bool writer_done_ = false;

  // What the watchdog judges by; the read loop only notes times, so a read costs no timer.
  std::chrono::steady_clock::time_point last_activity_;  // last byte read or answer written
  std::chrono::steady_clock::time_point waiting_since_;  // start of the current socket wait
  bool waiting_for_socket_ = false;  // the read loop waits for bytes, not for room
  bool frame_begun_ = false;         // ... with part of a frame in the reader
  std::chrono::steady_clock::duration frame_waited_{};  // socket waits so far for that frame
  bool read_loop_done_ = false;
  bool idle_closed_ = false;  // closed by the idle timeout: nothing more is read
  // The budget held for the frame being read: its body's allocation, once it outgrew the reader's
  // buffer. It becomes the request's when the frame is whole.
  size_t partial_reserved_ = 0;
  bool partial_overdraft_ = false;  // that frame holds the node's overdraft
};

}  // namespace kv
