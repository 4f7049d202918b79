#include "libkv/node/node.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <csignal>

#include "libkv/net/frame_io.h"
#include "libkv/net/messages.h"
#include "libkv/net/stream.h"
#include "libkv/net/tcp_transport.h"
#include "libkv/node/connection.h"
#include "libkv/node/http_connection.h"

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;

// The Asio side of a Node, kept out of node.h: one io_context per I/O thread (a shard). A
// connection lives on the shard that accepted it, and its requests run there to the end,
// replica calls included (each shard has its own connections to the peers: TcpTransport), so
// the hot path crosses no thread but the engine's commit thread. The acceptor, the signals and
// the service's timers live on the first shard.
struct NodeRuntime {
  struct Shard {
    // Concurrency hint 1: the io_context is run by one thread, so Asio keeps what that thread
    // posts in a queue of its own, without taking the scheduler's lock.
    Shard() : io(1), work(asio::make_work_guard(io)) {}
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
  };

  NodeRuntime(int io_threads, int engine_threads)
      : shards(MakeShards(io_threads)),
        acceptor(first()),
        http_acceptor(first()),
        engine_pool(static_cast<size_t>(engine_threads)) {}

  static std::vector<std::unique_ptr<Shard>> MakeShards(int count) {
    std::vector<std::unique_ptr<Shard>> made;
    for (int i = 0; i < count; ++i) made.push_back(std::make_unique<Shard>());
    return made;
  }
  asio::io_context& first() { return shards.front()->io; }
  std::vector<asio::io_context*> contexts() {
    std::vector<asio::io_context*> all;
    for (auto& shard : shards) all.push_back(&shard->io);
    return all;
  }
  // The shard for the next accepted connection, in turn.
  asio::io_context& NextShard() { return shards[next_shard++ % shards.size()]->io; }

  std::vector<std::unique_ptr<Shard>> shards;  // never empty
  size_t next_shard = 0;  // used by the accept loops only (kv and HTTP: both on the first shard)
  tcp::acceptor acceptor;
  tcp::acceptor http_acceptor;  // open only with config.http_listen
  asio::thread_pool engine_pool;
  std::unique_ptr<TcpTransport> transport;
  std::unique_ptr<asio::signal_set> signals;
  ConnectionContext connection_context;
  HttpContext http_context;
};

namespace {

int IoThreads(const NodeConfig& config) {
  const int threads = config.io_threads > 0 ? config.io_threads
                                            : static_cast<int>(std::thread::hardware_concurrency());
  return std::max(threads, 1);
}

// Sends `error_frame` and closes, after reading what the client sent (its handshake) so that the
// close is a FIN, not a reset that could destroy the error frame before the client reads it.
// With TLS the refusal travels inside TLS, so that the client reads it instead of a TLS error
// (the handshake costs no more than an admitted connection's, and is bounded by `timeout`).
asio::awaitable<void> Refuse(tcp::socket accepted, std::string error_frame,
                             std::shared_ptr<TlsContext> tls, std::chrono::milliseconds timeout) {
  Stream stream = tls ? Stream(std::move(accepted), *tls) : Stream(std::move(accepted));
  asio::steady_timer handshake_deadline(stream.get_executor(), timeout);
  handshake_deadline.async_wait([&stream](boost::system::error_code ec) {
    if (!ec) stream.socket().cancel();  // a client that never completes the TLS handshake
  });
  Status written = co_await stream.Handshake(Stream::Side::kServer);
  handshake_deadline.cancel();
  if (written.ok()) written = co_await AsyncWriteAll(stream, error_frame);
  tcp::socket& socket = stream.socket();
  boost::system::error_code ignored;
  if (written.ok()) {
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(1));
    deadline.async_wait([&socket](boost::system::error_code ec) {
      if (!ec) socket.cancel();  // a client that neither reads nor closes: stop draining
    });
    char sink[512];
    for (;;) {
      auto [rec, n] =
          co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
      if (rec) break;
    }
    deadline.cancel();
  }
  socket.close(ignored);
}

// The remote IP address, without the port: what max_connections_per_address counts by.
template <class Socket>
std::string RemoteAddress(const Socket& socket) {
  boost::system::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  return ec ? std::string("unknown") : remote.address().to_string();
}

}  // namespace

Status Node::AdmitConnectionFrom(const std::string& address) {
  if (connections_.size() >= config_.max_connections)
    return Status::Unavailable(
        fmt::format("the node has {} connections open, its limit (raise --max-connections); try "
                    "again later",
                    connections_.size()));
  size_t& from_address = connections_per_address_[address];
  if (config_.max_connections_per_address > 0 &&
      from_address >= config_.max_connections_per_address) {
    return Status::Unavailable(
        fmt::format("too many connections from {} (limit {}); raise --max-connections-per-address",
                    address, config_.max_connections_per_address));
  }
  ++from_address;
  return Status::Ok();
}

void Node::ForgetConnectionFrom(const std::string& address) {
  auto it = connections_per_address_.find(address);
  if (it == connections_per_address_.end()) return;
  if (--it->second == 0) connections_per_address_.erase(it);
}

Result<std::unique_ptr<Node>> Node::Open(const NodeConfig& config, Env* env,
                                         std::shared_ptr<spdlog::logger> logger) {
  KV_RETURN_IF_ERROR(ValidateNodeConfig(config));
  std::shared_ptr<TombstoneGc> gc = OpenTombstoneGc(config, env, logger);
  EngineOptions options = EngineOptionsFor(config, env);
  options.logger = logger;
  options.value_is_obsolete = [gc](std::string_view key, std::string_view value) {
    return gc->IsObsolete(key, value);
  };
  Result<std::unique_ptr<Engine>> engine = Engine::Open(std::move(options));
  if (!engine.ok()) return engine.status().WithContext(fmt::format("opening {}", config.data_dir));
  return Start(config, env, std::move(*engine), std::move(logger), std::move(gc));
}

Result<std::unique_ptr<Node>> Node::Start(const NodeConfig& config, Env* env,
                                          std::unique_ptr<Engine> engine,
                                          std::shared_ptr<spdlog::logger> logger,
                                          std::shared_ptr<TombstoneGc> tombstone_gc) {
  KV_RETURN_IF_ERROR(ValidateNodeConfig(config));
  std::unique_ptr<Node> node(new Node(config, std::move(engine), std::move(logger)));
  node->tombstone_gc_ =
      tombstone_gc ? std::move(tombstone_gc) : OpenTombstoneGc(config, env, node->logger_);
  Status s = node->SetUpTls();
  if (s.ok()) s = node->Listen();
  if (s.ok()) s = node->ListenHttp();
  if (s.ok()) s = node->StartService(env);
  if (!s.ok()) {
    // Nothing was served: close the engine (flushes) and report why we could not start.
    node->service_.reset();  // its timers belong to the runtime's io_context
    node->runtime_.reset();
    (void)node->engine_->Close();
    node->stopped_ = true;
    return s;
  }
  node->Serve();
  return node;
}

Node::Node(const NodeConfig& config, std::unique_ptr<Engine> engine,
           std::shared_ptr<spdlog::logger> logger)
    : config_(config),
      engine_(std::move(engine)),
      logger_(logger ? std::move(logger) : spdlog::default_logger()),
      runtime_(std::make_unique<NodeRuntime>(IoThreads(config), config.engine_threads)) {
  ConnectionContext& c = runtime_->connection_context;
  c.cluster_name = config_.cluster_name;
  c.server_name = fmt::format("kvnode {}", KV_VERSION);
  c.limits = config_.connection;
  c.max_total_bytes_in_flight = SplitMemoryBudget(config_.memory_budget).connection_bytes;
  c.logger = logger_.get();
  runtime_->http_context.wire = &c;
}

Node::~Node() {
  bool serving;
  {
    std::lock_guard lock(mu_);
    serving = !stopped_;
  }
  if (serving) (void)Stop();
}

Status Node::SetUpTls() {
  if (!config_.tls.enabled()) return Status::Ok();
  KV_ASSIGN_OR_RETURN(tls_, TlsContext::Create(config_.tls));
  const CertificateSubject& own = tls_->own();
  if (own.role != Role::kPeer)
    return Status::InvalidArgument(fmt::format(
        "--tls-cert {} is a certificate of role '{}' for '{}'; a node needs one of role peer "
        "whose CN is its id: scripts/make-certs DIR {}:peer",
        config_.tls.cert_file, own.organizational_unit, own.common_name,
        config_.id.empty() ? std::string("NODE_ID") : config_.id));
  // The node's id is its certificate's CN: peers take the certificate as proof of who speaks.
  if (!config_.id.empty() && config_.id != own.common_name)
    return Status::InvalidArgument(fmt::format(
        "--id {} is not the node its certificate names ('{}', --tls-cert {}); start it with --id "
        "{}, or make it a certificate: scripts/make-certs DIR {}:peer",
        config_.id, own.common_name, config_.tls.cert_file, own.common_name, config_.id));
  config_.id = own.common_name;  // also refuses a data dir that belongs to another node
  runtime_->connection_context.tls = tls_;
  return Status::Ok();
}

namespace {

// Binds `acceptor` to `want` and listens; the bound address (the real port for port 0). Errors
// name the address and, through `flag`, the flag that chose it.
Result<HostPort> BindAcceptor(tcp::acceptor& acceptor, const HostPort& want, std::string_view flag,
                              std::string_view in_use_hint) {
  auto cannot = [&](std::string_view why, std::string_view hint) {
    return Status::Unavailable(
        fmt::format("cannot listen on {}: {}{}", want.ToString(), why, hint));
  };
  boost::system::error_code ec;
  tcp::resolver resolver(acceptor.get_executor());
  auto endpoints =
      resolver.resolve(want.host, std::to_string(want.port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty())
    return cannot(ec ? ec.message() : "no address", fmt::format(" — check the host in {}", flag));
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  if (acceptor.open(endpoint.protocol(), ec); ec) return cannot(ec.message(), "");
  // Lets a restarted node bind at once while old connections sit in TIME_WAIT.
  if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec)
    return cannot(ec.message(), "");
  if (acceptor.bind(endpoint, ec); ec) {
    if (ec == asio::error::address_in_use) return cannot(ec.message(), in_use_hint);
    return cannot(ec.message(), "");
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
    return cannot(ec.message(), "");
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  return HostPort{bound.address().to_string(), bound.port()};
}

}  // namespace

Status Node::Listen() {
  KV_ASSIGN_OR_RETURN(HostPort want, ParseHostPort(config_.listen));
  KV_ASSIGN_OR_RETURN(address_, BindAcceptor(runtime_->acceptor, want, "--listen",
                                             " — is another kvnode running there? Stop it or "
                                             "pick another port with --listen HOST:PORT"));
  return Status::Ok();
}

Status Node::ListenHttp() {
  if (config_.http_listen.empty()) return Status::Ok();
  KV_ASSIGN_OR_RETURN(HostPort want, ParseHostPort(config_.http_listen));
  Result<HostPort> bound =
      BindAcceptor(runtime_->http_acceptor, want, "--http-listen",
                   " — is another kvnode (or another HTTP server) using it? Pick another port with "
                   "--http-listen HOST:PORT, or turn the HTTP API off with --http-listen off");
  if (!bound.ok()) return bound.status().WithContext("the HTTP API (--http-listen)");
  http_address_ = std::move(*bound);
  return Status::Ok();
}

std::string Node::AdvertisedAddress() const {
  if (config_.advertise.empty()) return address_.ToString();
  Result<HostPort> advertise = ParseHostPort(config_.advertise);  // checked by ValidateNodeConfig
  if (!advertise.ok()) return address_.ToString();
  if (advertise->port == 0) advertise->port = address_.port;
  return advertise->ToString();
}

Status Node::StartService(Env* env) {
  NodeRuntime& rt = *runtime_;
  TcpTransportOptions transport_options;
  transport_options.tls = tls_;
  rt.transport = std::make_unique<TcpTransport>(rt.contexts(), config_.cluster_name,
                                                std::move(transport_options));
  NodeService::Parts parts{
      .engine = engine_.get(),
      .transport = rt.transport.get(),
      .env = env,
      .engine_pool = &rt.engine_pool,
      .logger = logger_,
      .tombstone_gc = tombstone_gc_,
      // A node that has left the cluster has nothing more to serve.
      .on_left = [this] { RequestStop(); },
      .connection_waits = [&rt] { return rt.connection_context.reads_paused.load(); },
      .connections_open =
          [this] {
            std::lock_guard lock(mu_);
            return static_cast<uint64_t>(connections_.size());
          }};
  KV_ASSIGN_OR_RETURN(service_, NodeService::Create(config_, AdvertisedAddress(), parts));
  rt.connection_context.handler = [service = service_.get()](Frame request) {
    return service->Answer(std::move(request));
  };
  rt.http_context.health = [service = service_.get()] { return service->Health(); };
  return service_->Start(asio::make_strand(rt.first()));
}

void Node::Serve() {
  NodeRuntime& rt = *runtime_;
  const EngineStats stats = engine_->stats();
  const QuorumSettings& q = config_.quorum;
  logger_->info(
      "{} node '{}' (clock {}) listening on {}{}{}, cluster '{}' (N={} R={} W={}, {} vnodes, "
      "seeds: {}), data in {}, sync {}, replayed {} commit-log records{}",
      rt.connection_context.server_name, service_->identity().id,
      ClockIdToHex(service_->identity().clock_id), address_.ToString(),
      config_.advertise.empty() ? std::string()
                                : fmt::format(" (advertised as {})", AdvertisedAddress()),
      tls_ ? " with TLS" : (config_.insecure ? " without TLS (--insecure)" : ""),
      config_.cluster_name, q.n, q.r, q.w, config_.vnodes,
      config_.seeds.empty() ? "none" : fmt::format("{}", fmt::join(config_.seeds, ",")),
      config_.data_dir, SyncModeName(config_.sync), stats.replayed_records,
      stats.truncated_log_bytes > 0
          ? fmt::format(" (dropped a torn tail of {} bytes)", stats.truncated_log_bytes)
          : std::string());

  const MemoryBudget budget = SplitMemoryBudget(config_.memory_budget, config_.memtable_bytes);
  const EngineOptions engine_options = EngineOptionsFor(config_, nullptr);
  logger_->info(
      "memory budget {} MiB: memtables {} MiB ({} of {} MiB), block cache (with the tables' "
      "indexes and filters) {} MiB, Merkle tree cache {} MiB, connection buffers {} MiB",
      budget.total >> 20, budget.memtable_share >> 20, budget.max_immutable_memtables + 1,
      budget.memtable_bytes >> 20, engine_options.block_cache_bytes >> 20,
      budget.merkle_cache_bytes >> 20, budget.connection_bytes >> 20);

  if (http_address_)
    logger_->info(
        "HTTP API on {}://{}/ (GET, PUT, DELETE /v1/kv/KEY; /v1/ring, /v1/stats, /health)",
        tls_ ? "https" : "http", http_address_->ToString());

  // One loop per listener; `http` says which protocol its connections speak.
  auto accept_loop = [this](bool http) {
    return [this, http]() -> asio::awaitable<void> {
      NodeRuntime& rt = *runtime_;
      tcp::acceptor& acceptor = http ? rt.http_acceptor : rt.acceptor;
      for (;;) {
        auto [ec, socket] =
            co_await acceptor.async_accept(rt.NextShard(), asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;  // stopping
        if (ec) {
          // Out of file descriptors and the like: wait a little instead of spinning.
          logger_->warn("accept failed: {}", ec.message());
          asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
          co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
          continue;
        }
        std::shared_ptr<ServedConnection> connection;
        asio::any_io_executor executor;
        std::function<asio::awaitable<void>()> run;
        {
          std::lock_guard lock(mu_);
          if (stop_requested_) {
            // Accepted just as the stop began: Wait has already told the open connections to
            // finish, and would not know of this one.
            boost::system::error_code ignored;
            socket.close(ignored);
            co_return;
          }
          const std::string remote = RemoteAddress(socket);
          if (Status refusal = AdmitConnectionFrom(remote); !refusal.ok()) {
            logger_->warn("refusing {}a connection from {}: {}", http ? "an HTTP " : "", remote,
                          refusal.message());
            auto socket_executor = socket.get_executor();
            if (http) {
              // Answers its first request with 503 and the reason, then closes; not counted.
              auto refused = std::make_shared<HttpConnection>(std::move(socket), &rt.http_context,
                                                              nullptr, refusal);
              asio::co_spawn(socket_executor, refused->Run(), [refused](std::exception_ptr) {});
              continue;
            }
            std::string frame = EncodeMessageFrame(StatusToErrorResponse(refusal), 0);
            asio::co_spawn(socket_executor,
                           Refuse(std::move(socket), std::move(frame), rt.connection_context.tls,
                                  config_.connection.handshake_timeout),
                           asio::detached);
            continue;
          }
          auto closed = [this, remote](ServedConnection* gone) {
            std::lock_guard lock(mu_);
            connections_.erase(gone);
            ForgetConnectionFrom(remote);
            cv_.notify_all();
          };
          if (http) {
            auto c =
                std::make_shared<HttpConnection>(std::move(socket), &rt.http_context,
                                                 [closed](HttpConnection* gone) { closed(gone); });
            executor = c->executor();
            run = [c] { return c->Run(); };
            connection = std::move(c);
          } else {
            auto c = std::make_shared<Connection>(std::move(socket), &rt.connection_context,
                                                  [closed](Connection* gone) { closed(gone); });
            executor = c->executor();
            run = [c] { return c->Run(); };
            connection = std::move(c);
          }
          connections_.emplace(connection.get(), connection);
        }
        // The handler keeps the connection alive until Run has taken its own reference: Run
        // starts later, on the connection's shard, after this loop has dropped `connection`.
        asio::co_spawn(executor, run(), [this, connection](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            logger_->error("connection failed: {}", ex.what());
          }
        });
      }
    };
  };
  auto on_loop_failure = [this](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      logger_->critical("an accept loop failed: {}; stopping", ex.what());
    }
    RequestStop();
  };
  asio::co_spawn(rt.acceptor.get_executor(), accept_loop(false), on_loop_failure);
  if (http_address_)
    asio::co_spawn(rt.http_acceptor.get_executor(), accept_loop(true), on_loop_failure);

  for (auto& shard : rt.shards) io_threads_.emplace_back([&io = shard->io] { io.run(); });
}

void Node::StopOnSignals() {
  NodeRuntime& rt = *runtime_;
  rt.signals = std::make_unique<asio::signal_set>(rt.first(), SIGINT, SIGTERM);
  rt.signals->async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;  // cancelled at stop
    logger_->info("received {}; stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    RequestStop();
  });
}

void Node::RequestStop() {
  std::lock_guard lock(mu_);
  stop_requested_ = true;
  cv_.notify_all();
}

Status Node::Wait() {
  std::vector<std::shared_ptr<ServedConnection>> open;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_requested_; });
    if (stopped_) return Status::Ok();
    for (auto& [key, weak] : connections_)
      if (auto c = weak.lock()) open.push_back(std::move(c));
  }
  NodeRuntime& rt = *runtime_;
  logger_->info("stopping: closing the listener, answering requests in flight on {} connections",
                open.size());
  if (service_) service_->Stop();
  rt.http_context.stopping = true;
  asio::post(rt.acceptor.get_executor(), [&rt] {
    boost::system::error_code ignored;
    rt.acceptor.close(ignored);
    rt.http_acceptor.close(ignored);
  });
  for (auto& c : open) c->StopReading();
  open.clear();  // the connections' own coroutines keep them alive while they run
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, config_.stop_timeout, [&] { return connections_.empty(); })) {
      logger_->warn("{} connections still busy after {} ms; cutting them", connections_.size(),
                    config_.stop_timeout.count());
      for (auto& [key, weak] : connections_)
        if (auto c = weak.lock()) c->Abort();
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return connections_.empty(); });
    }
  }
  if (rt.signals) {
    asio::post(rt.first(), [&rt] {
      boost::system::error_code ignored;
      rt.signals->cancel(ignored);
    });
  }
  rt.engine_pool.join();  // engine calls already started run to their end
  if (rt.transport) rt.transport->Close();
  for (auto& shard : rt.shards) {
    shard->work.reset();
    shard->io.stop();
  }
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
  // Before the io_context goes: a write still in the engine posts its completion there when it
  // ends, and Close returns only after every write queued before it has ended (later ones are
  // refused at once).
  Status closed = engine_->Close();
  // The service's timers belong to the io_context: destroy it first (nothing runs any more).
  service_.reset();
  const uint64_t reads_paused = runtime_->connection_context.reads_paused.load();
  runtime_.reset();  // destroys what never ran; connections left call back into this Node

  const EngineStats stats = engine_->stats();
  if (closed.ok())
    logger_->info(
        "stopped cleanly; commit log: {} fsyncs covered {} records; block cache: {} hits, {} "
        "misses (hit ratio {:.3f}), {} of {} bytes used; {} deleted keys purged; memtables "
        "peaked at {} MiB; writes slowed {} times ({} ms), stopped {} times ({} ms); connections "
        "waited for the memory budget {} times",
        stats.log_syncs, stats.log_records, stats.block_cache.hits, stats.block_cache.misses,
        stats.block_cache.hit_ratio(),
        stats.block_cache.block_bytes + stats.block_cache.pinned_bytes,
        stats.block_cache.capacity_bytes, tombstone_gc_->purged(), stats.memtable_memory_peak >> 20,
        stats.write_delays, stats.write_delay_micros / 1000, stats.write_stalls,
        stats.write_stall_micros / 1000, reads_paused);
  else
    logger_->error("closing the engine failed: {}", closed.ToString());
  std::lock_guard lock(mu_);
  stopped_ = true;
  return closed;
}

}  // namespace kv
