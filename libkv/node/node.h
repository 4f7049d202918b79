// Node: one kv server, a member of a cluster. Owns the Engine; one io_context per core (a shard,
// run by its own thread, owning the connections it accepted and its own connections to the
// peers, so a request runs to its end on the thread that read it); the listening socket; a
// TcpTransport to its peers; its NodeService (identity, gossip, coordinator, replica store: what
// it answers); and a small pool of threads for long engine scans (Merkle trees, hint sweeps).
// Writes never wait on a thread: the engine's commit thread completes them. Each accepted
// connection, from a client or a peer, is a Connection coroutine. With config.http_listen a second
// listener serves the HTTP API (HttpConnection), its connections on the same shards, answered by
// the same NodeService and counted with the others. With TLS (config.tls) every connection, in
// and out, HTTP too, is mutual TLS with the node's certificate, whose CN is the node's id.
//
// Life: Open (or Start with an engine the caller opened) -> serving -> RequestStop (any thread,
// or SIGINT/SIGTERM after StopOnSignals) -> Wait returns after a graceful stop: no new
// connections, answers to requests already read (up to stop_timeout), then Engine::Close.
// Threads: every method may be called from any thread except Wait, which one thread calls once.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/net/host_port.h"
#include "libkv/node/node_config.h"
#include "libkv/node/node_service.h"
#include "libkv/storage/engine.h"

namespace spdlog {
class logger;
}

namespace kv {

class ServedConnection;
struct NodeRuntime;

class Node {
 public:
  // Opens the engine in config.data_dir through env, then Start. Fails with the engine's status
  // (Unavailable when another process holds the data dir, Corruption naming file and offset) or
  // Unavailable when the address cannot be bound. logger: null for spdlog's default.
  static Result<std::unique_ptr<Node>> Open(const NodeConfig& config, Env* env,
                                            std::shared_ptr<spdlog::logger> logger = nullptr);
  // Serves `engine`, which the node then owns and closes; its identity and membership files are
  // kept in config.data_dir through `env`. `tombstone_gc`: the one the engine's compaction asks
  // (OpenTombstoneGc); null: a new one, which records repairs but purges nothing in `engine`.
  static Result<std::unique_ptr<Node>> Start(const NodeConfig& config, Env* env,
                                             std::unique_ptr<Engine> engine,
                                             std::shared_ptr<spdlog::logger> logger = nullptr,
                                             std::shared_ptr<TombstoneGc> tombstone_gc = nullptr);
  // Stops (as Stop) when still serving.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The bound address (the real port when config.listen asked for port 0).
  const HostPort& address() const { return address_; }
  // The HTTP API's bound address (the real port when config.http_listen asked for port 0);
  // empty without one.
  const std::optional<HostPort>& http_address() const { return http_address_; }
  // The address other nodes reach this one at: --advertise (its port 0 the bound port), else
  // the bound address.
  std::string AdvertisedAddress() const;
  Engine& engine() { return *engine_; }
  // REQUIRES: not stopped.
  NodeService& service() { return *service_; }

  // SIGINT and SIGTERM request a stop from now on.
  void StopOnSignals();
  // Begins a graceful stop; returns at once. Idempotent.
  void RequestStop();
  // Blocks until a stop is requested, then stops gracefully. Returns Engine::Close's status.
  Status Wait();
  Status Stop() {
    RequestStop();
    return Wait();
  }

 private:
  Node(const NodeConfig& config, std::unique_ptr<Engine> engine,
       std::shared_ptr<spdlog::logger> logger);
  // With config.tls: loads the credentials and binds the node's id to its certificate.
  Status SetUpTls();
  Status Listen();
  // Binds the HTTP API's listener when config.http_listen names one.
  Status ListenHttp();
  Status StartService(Env* env);
  void Serve();
  // Why a new connection from `address` must be refused (Ok: take it, and it is counted).
  // REQUIRES: mu_ held.
  Status AdmitConnectionFrom(const std::string& address);
  // A connection from `address` closed. REQUIRES: mu_ held.
  void ForgetConnectionFrom(const std::string& address);

  NodeConfig config_;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<TombstoneGc> tombstone_gc_;
  HostPort address_;
  std::optional<HostPort> http_address_;
  std::shared_ptr<TlsContext> tls_;  // null without TLS

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;  // GUARDED_BY(mu_)
  bool stopped_ = false;         // GUARDED_BY(mu_)
  // kv and HTTP connections alike.
  std::unordered_map<ServedConnection*, std::weak_ptr<ServedConnection>>
      connections_;  // GUARDED_BY(mu_)
  // Open connections by remote IP address, for max_connections_per_address.
  std::unordered_map<std::string, size_t> connections_per_address_;  // GUARDED_BY(mu_)

  // Reset in Wait after the I/O threads end and before runtime_, whose io_context its timers
  // belong to.
  std::unique_ptr<NodeService> service_;

  // Asio objects; destroyed in Wait, before the members above.
  std::unique_ptr<NodeRuntime> runtime_;
  std::vector<std::thread> io_threads_;
};

}  // namespace kv
