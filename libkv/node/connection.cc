#include "libkv/node/connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libkv/base/limits.h"
#include "libkv/net/frame_io.h"
#include "libkv/net/frame_reader.h"
#include "libkv/net/handshake.h"
#include "libkv/net/messages.h"

namespace kv {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// The first byte of a TLS connection: a handshake record (RFC 8446, 5.1).
constexpr char kTlsHandshakeRecord = 0x16;

std::string ErrorFrame(uint64_t request_id, const Status& status) {
  return EncodeMessageFrame(StatusToErrorResponse(status), request_id);
}

}  // namespace

Connection::Connection(tcp::socket socket, const ConnectionContext* context,
                       std::function<void(Connection*)> on_closed)
    : stream_(std::move(socket)),
      context_(context),
      on_closed_(std::move(on_closed)),
      request_done_(stream_.get_executor(), asio::steady_timer::time_point::max()),
      output_ready_(stream_.get_executor(), asio::steady_timer::time_point::max()),
      handshake_deadline_(stream_.get_executor()),
      budget_retry_(stream_.get_executor()),
      watchdog_(stream_.get_executor()) {
  boost::system::error_code ec;
  tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
  peer_ = ec ? "unknown peer" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
  stream_.socket().set_option(tcp::no_delay(true), ec);  // answers are small and latency matters
}

Connection::~Connection() {
  if (on_closed_) on_closed_(this);
}

void Connection::StopReading() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stop_reading_ = true;
    // Wakes a pending read with end-of-stream; the write side stays open for the answers.
    boost::system::error_code ec;
    self->stream_.socket().shutdown(tcp::socket::shutdown_receive, ec);
    self->handshake_deadline_.cancel();
    self->request_done_.cancel();
  });
}

void Connection::Abort() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->CloseSocket(); });
}

void Connection::CloseSocket() {
  stream_.Close();
}

asio::awaitable<void> Connection::Run() {
  auto self = shared_from_this();
  if (!co_await Handshake()) {
    CloseSocket();
    co_return;
  }
  asio::co_spawn(stream_.get_executor(), WriteLoop(), [self](std::exception_ptr e) {
    if (e) {
      self->context_->logger->error("connection from {}: write loop failed", self->peer_);
      self->writer_done_ = true;
      self->CloseSocket();
    }
  });
  last_activity_ = std::chrono::steady_clock::now();
  if (context_->limits.body_timeout.count() > 0 || context_->limits.idle_timeout.count() > 0)
    asio::co_spawn(stream_.get_executor(), Watchdog(), asio::detached);
  co_await ReadLoop();
  // Drain: every request read gets its answer queued before the write loop is told to end.
  while (requests_in_flight_ > 0) co_await request_done_.async_wait(kNoThrow);
  closing_ = true;
  output_ready_.cancel();
  while (!writer_done_) co_await request_done_.async_wait(kNoThrow);
  if (idle_closed_ && !write_failed_) co_await LingerUntilPeerCloses();
  CloseSocket();
  context_->logger->debug("connection from {} closed", peer_);
}

asio::awaitable<bool> Connection::Handshake() {
  spdlog::logger& log = *context_->logger;
  handshake_deadline_.expires_after(context_->limits.handshake_timeout);
  handshake_deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the handshake finished (or the node is stopping) first
    self->context_->logger->info("closing connection from {}: no handshake within {} ms",
                                 self->peer_, self->context_->limits.handshake_timeout.count());
    self->CloseSocket();
  });
  if (context_->tls && !co_await TlsHandshake()) {
    handshake_deadline_.cancel();
    co_return false;
  }
  Result<std::string> fixed = co_await AsyncReadExactly(stream_, wire::kHandshakeFixedBytes);
  if (!fixed.ok()) {
    handshake_deadline_.cancel();
    log.debug("connection from {} ended before its handshake: {}", peer_,
              fixed.status().ToString());
    co_return false;
  }
  Result<HandshakePrefix> prefix = DecodeHandshakePrefix(*fixed);
  if (!prefix.ok()) {
    handshake_deadline_.cancel();
    // Not a kv client (a port scanner, an HTTP request, random bytes): no answer at all.
    if (!context_->tls && (*fixed)[0] == kTlsHandshakeRecord)
      log.info(
          "closing connection from {}: it speaks TLS, and this node was started without "
          "--tls-cert, --tls-key and --tls-ca",
          peer_);
    else
      log.info("closing connection from {}: {}", peer_, prefix.status().ToString());
    co_return false;
  }
  Result<std::string> name = co_await AsyncReadExactly(stream_, prefix->cluster_name_bytes);
  handshake_deadline_.cancel();
  if (!name.ok()) co_return false;

  Status refusal;
  if (prefix->version != wire::kProtocolVersion) {
    refusal = Status::Protocol(fmt::format(
        "{} speaks kv protocol version {}, the client version {}; use client tools of the same "
        "release",
        context_->server_name, wire::kProtocolVersion, prefix->version));
  } else if (*name != context_->cluster_name) {
    refusal = Status::Unavailable(
        fmt::format("this node belongs to cluster '{}', not '{}'; pass --cluster-name {}",
                    context_->cluster_name, *name, context_->cluster_name));
  }
  if (!refusal.ok()) {
    log.info("refusing connection from {}: {}", peer_, refusal.ToString());
    // Named, not a temporary inside co_await: g++ 12 mis-destroys such temporaries.
    const std::string error = ErrorFrame(0, refusal);
    (void)co_await AsyncWriteAll(stream_, error);
    co_return false;
  }
  const std::string ok = EncodeMessageFrame(HandshakeOk{.server = context_->server_name}, 0);
  Status sent = co_await AsyncWriteAll(stream_, ok);
  if (!sent.ok()) co_return false;
  if (authority_.role())
    log.debug("connection from {} accepted: '{}', role {}", peer_, authority_.name(),
              RoleName(*authority_.role()));
  else
    log.debug("connection from {} accepted", peer_);
  co_return true;
}

asio::awaitable<bool> Connection::TlsHandshake() {
  spdlog::logger& log = *context_->logger;
  tcp::socket& socket = stream_.socket();
  // A plaintext kv client's first byte is the magic's; a TLS client's, a handshake record's.
  // Look before taking anything, so that a plaintext client is told what to do.
  auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, kNoThrow);
  if (wait_ec) co_return false;
  char first = 0;
  boost::system::error_code ec;
  const size_t peeked = socket.receive(asio::buffer(&first, 1), tcp::socket::message_peek, ec);
  if (ec || peeked == 0) co_return false;
  if (first == wire::kMagic[0]) {
    const Status refusal = Status::Unavailable(
        "this node speaks TLS only: give --tls-cert, --tls-key and --tls-ca (or KV_TLS_CERT, "
        "KV_TLS_KEY, KV_TLS_CA)");
    log.info("refusing connection from {}: a plaintext client, and this node requires TLS", peer_);
    // Take the client's handshake first, so that the close is a FIN that leaves the error
    // frame readable, not a reset.
    Result<std::string> fixed = co_await AsyncReadExactly(socket, wire::kHandshakeFixedBytes);
    if (!fixed.ok()) co_return false;
    Result<HandshakePrefix> prefix = DecodeHandshakePrefix(*fixed);
    if (!prefix.ok()) co_return false;
    Result<std::string> name = co_await AsyncReadExactly(socket, prefix->cluster_name_bytes);
    if (!name.ok()) co_return false;
    const std::string error = ErrorFrame(0, refusal);
    (void)co_await AsyncWriteAll(socket, error);
    co_return false;
  }
  tcp::socket plain = std::move(socket);
  stream_ = Stream(std::move(plain), *context_->tls);
  Status shaken = co_await stream_.Handshake(Stream::Side::kServer);
  if (!shaken.ok()) {
    log.info("closing connection from {}: {}", peer_, shaken.message());
    co_return false;
  }
  Result<CertificateSubject> subject = PeerCertificateSubject(stream_.tls()->native_handle());
  if (!subject.ok()) {
    log.info("closing connection from {}: {}", peer_, subject.status().message());
    co_return false;
  }
  if (!subject->role) {
    // TLS is up, so the refusal can travel as an Error frame once the kv handshake is read.
    log.info("refusing connection from {}: its certificate for '{}' names no role", peer_,
             subject->common_name);
    Result<std::string> fixed = co_await AsyncReadExactly(stream_, wire::kHandshakeFixedBytes);
    if (!fixed.ok()) co_return false;
    const std::string error = ErrorFrame(
        0, Status::Unavailable(fmt::format(
               "the certificate for '{}' names no role (its OU is '{}', not peer, admin or "
               "client); make one with scripts/make-certs DIR NAME:ROLE",
               subject->common_name, subject->organizational_unit)));
    (void)co_await AsyncWriteAll(stream_, error);
    co_return false;
  }
  authority_ = ConnectionAuthority(*subject->role, subject->common_name);
  co_return true;
}

asio::awaitable<void> Connection::ReadLoop() {
  const ConnectionLimits& limits = context_->limits;
  // Every whole frame of a read is taken before the socket is read again, so a client's
  // pipelined requests cost one read, and the answers the I/O thread makes at once go out
  // together in the write loop's next batch.
  FrameReader reader;
  while (!stop_reading_ && !write_failed_) {
    // Back-pressure: stop taking requests while this connection has too much in flight. What was
    // read meanwhile waits in the reader, and the socket is not read.
    while ((requests_in_flight_ + answers_unwritten_ >= limits.max_requests_in_flight ||
            (requests_in_flight_ + answers_unwritten_ > 0 &&
             bytes_in_flight_ + answer_bytes_unwritten_ >= limits.max_bytes_in_flight)) &&
           !stop_reading_ && !write_failed_) {
      co_await request_done_.async_wait(kNoThrow);
    }
    if (stop_reading_ || write_failed_) break;
    Result<std::optional<FrameHeader>> header = reader.PeekHeader();
    if (!header.ok()) {
      // The framing can no longer be trusted: say why, then close.
      context_->logger->warn("closing connection from {}: {}", peer_, header.status().ToString());
      Enqueue(ErrorFrame(0, header.status()));
      break;
    }
    if (!*header || !reader.HasWholeFrame()) {
      // The node's budget for connections is taken as a frame's bytes arrive, not when its header
      // declares them: a body that outgrows the reader's buffer is reserved before each growth
      // (FrameReader), so headers declaring large bodies cost nothing until the bytes come, and
      // the body timeout bounds how long those bytes may hold it.
      if (!co_await ReserveNextAllocation(reader)) break;
      Status read = co_await ReadMore(reader);
      if (idle_closed_) {
        // Nothing that arrived since is looked at: that is what makes the Error's promise true.
        const Status why = Status::Unavailable(
            fmt::format("closing the connection after {} ms idle (kvnode --idle-timeout-s); no "
                        "request on it was left unanswered, so send again on a new connection",
                        limits.idle_timeout.count()));
        Enqueue(ErrorFrame(0, why));
        break;
      }
      if (!read.ok()) {
        context_->logger->debug("connection from {} ended: {}", peer_, read.message());
        break;
      }
      continue;
    }
    // A whole frame. A body that outgrew the buffer holds its reservation already; one in the
    // buffer is reserved here, as it is copied out. Other connections' answers free the budget
    // (on other strands), so this waits by polling. A connection with nothing in flight may
    // always take one small request, so a client that never reads its answers slows the others
    // (peers too) to a request at a time but never stops them.
    const FrameHeader h = **header;
    if (reader.body_memory() == 0) {
      const bool own_turn = requests_in_flight_ + answers_unwritten_ == 0 &&
                            h.body_bytes <= ConnectionContext::kAlwaysAdmittedBytes;
      if (!TryReserve(h.body_bytes, own_turn)) {
        context_->reads_paused.fetch_add(1, std::memory_order_relaxed);
        if (!co_await WaitForBudget(h.body_bytes, false)) break;
      }
    } else {
      assert(partial_reserved_ == h.body_bytes);
      UnholdForFrame(partial_reserved_);  // the request's now, released when it is answered
    }
    Result<std::optional<Frame>> frame = reader.Next();  // whole: a frame
    frame_waited_ = {};
    const bool releases_overdraft = partial_overdraft_;
    partial_overdraft_ = false;
    if (Status admitted = authority_.Admit(**frame); !admitted.ok()) {
      // Answered, not served; logged once, so a client retrying cannot flood the log.
      Release(h.body_bytes);
      if (releases_overdraft) ReleaseOverdraft();
      if (!refusal_logged_) {
        refusal_logged_ = true;
        context_->logger->warn(
            "connection from {} ('{}'): {} (further refusals on this "
            "connection are not logged)",
            peer_, authority_.name(), admitted.message());
      }
      Enqueue(ErrorFrame((*frame)->request_id, admitted));
      continue;
    }
    ++requests_in_flight_;
    bytes_in_flight_ += h.body_bytes;
    asio::co_spawn(
        stream_.get_executor(),
        [self = shared_from_this(), f = std::move(**frame), releases_overdraft]() mutable {
          return self->Handle(std::move(f), releases_overdraft);
        },
        [self = shared_from_this()](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {  // contain it: the node serves other requests
            self->context_->logger->error("connection from {}: request failed: {}", self->peer_,
                                          ex.what());
          }
          self->CloseSocket();
        });
  }
  // A frame cut short gives back what it held.
  Release(partial_reserved_);
  UnholdForFrame(partial_reserved_);
  if (partial_overdraft_) ReleaseOverdraft();
  partial_overdraft_ = false;
  read_loop_done_ = true;
  watchdog_.cancel();
}

asio::awaitable<bool> Connection::ReserveNextAllocation(const FrameReader& reader) {
  const size_t n = reader.NextAllocation();
  if (n == 0) co_return true;
  if (!TryReserve(n, partial_overdraft_)) {
    context_->reads_paused.fetch_add(1, std::memory_order_relaxed);
    if (!co_await WaitForBudget(n, true)) co_return false;
  }
  HoldForFrame(n);
  co_return true;
}

asio::awaitable<Status> Connection::ReadMore(FrameReader& reader) {
  frame_begun_ = reader.buffered() > 0;
  waiting_since_ = std::chrono::steady_clock::now();
  waiting_for_socket_ = true;
  Status read = co_await AsyncReadMore(stream_, reader);
  waiting_for_socket_ = false;
  last_activity_ = std::chrono::steady_clock::now();
  if (frame_begun_) frame_waited_ += last_activity_ - waiting_since_;
  // A body the reader grew: the old one is freed, and so is its reservation.
  const size_t held = reader.body_memory();
  if (partial_reserved_ > held) {
    Release(partial_reserved_ - held);
    UnholdForFrame(partial_reserved_ - held);
  }
  co_return read;
}

asio::awaitable<bool> Connection::WaitForBudget(size_t n, bool may_overdraw) {
  for (;;) {
    if (TryReserve(n, false)) co_return true;
    // Frames begun (this one too: its old body and the grown one are both held while it is
    // copied) hold part of the budget and may be waiting for the rest, as this one is: one of
    // them must be let through, or none ever finishes.
    if (may_overdraw && context_->partial_frame_bytes.load(std::memory_order_relaxed) > 0 &&
        TakeOverdraft()) {
      partial_overdraft_ = true;
      TryReserve(n, true);
      co_return true;
    }
    if (stop_reading_ || write_failed_) co_return false;
    budget_retry_.expires_after(std::chrono::milliseconds(1));
    co_await budget_retry_.async_wait(kNoThrow);
  }
}

bool Connection::TakeOverdraft() {
  const void* none = nullptr;
  return context_->overdraft_holder.compare_exchange_strong(none, this, std::memory_order_relaxed);
}

void Connection::ReleaseOverdraft() {
  context_->overdraft_holder.store(nullptr, std::memory_order_relaxed);
}

void Connection::HoldForFrame(size_t n) {
  partial_reserved_ += n;
  context_->partial_frame_bytes.fetch_add(n, std::memory_order_relaxed);
}

void Connection::UnholdForFrame(size_t n) {
  partial_reserved_ -= n;
  context_->partial_frame_bytes.fetch_sub(n, std::memory_order_relaxed);
}

asio::awaitable<void> Connection::Watchdog() {
  auto self = shared_from_this();
  while (!read_loop_done_) {
    watchdog_.expires_at(CheckReadDeadlines(std::chrono::steady_clock::now()));
    co_await watchdog_.async_wait(kNoThrow);
  }
}

std::chrono::steady_clock::time_point Connection::CheckReadDeadlines(
    std::chrono::steady_clock::time_point now) {
  using std::chrono::milliseconds;
  const ConnectionLimits& limits = context_->limits;
  const bool body_limited = limits.body_timeout > milliseconds(0);
  const bool idle_limited = limits.idle_timeout > milliseconds(0);
  // Looked at again at least this often, so a deadline that starts between two checks (a frame
  // begun, a connection gone quiet) is caught within twice its length at worst.
  const auto shortest = body_limited && idle_limited
                            ? std::min(limits.body_timeout, limits.idle_timeout)
                            : (body_limited ? limits.body_timeout : limits.idle_timeout);
  const auto next_look = now + shortest;
  if (read_loop_done_ || !waiting_for_socket_) return next_look;  // busy, or paused by its limits
  if (frame_begun_) {
    if (!body_limited) return next_look;
    const auto waited = frame_waited_ + (now - waiting_since_);
    if (waited < limits.body_timeout)
      return std::min(next_look, now + (limits.body_timeout - waited));
    context_->logger->warn(
        "closing connection from {}: a frame it began did not arrive whole within {} ms "
        "(kvnode --body-timeout-ms)",
        peer_, limits.body_timeout.count());
    CloseSocket();  // the read fails; the read loop gives back what the frame held
    return std::chrono::steady_clock::time_point::max();
  }
  if (!idle_limited || requests_in_flight_ + answers_unwritten_ > 0) return next_look;
  const auto idle_until = last_activity_ + limits.idle_timeout;
  if (now < idle_until) return std::min(next_look, idle_until);
  context_->logger->debug("closing connection from {}: idle for {} ms", peer_,
                          limits.idle_timeout.count());
  idle_closed_ = true;
  // Wakes the read loop's wait; it sends the Error and reads nothing more.
  boost::system::error_code ignored;
  stream_.socket().cancel(ignored);
  return std::chrono::steady_clock::time_point::max();
}

asio::awaitable<void> Connection::LingerUntilPeerCloses() {
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  asio::steady_timer linger(stream_.get_executor(), std::chrono::seconds(1));
  auto give_up = [self = shared_from_this()](boost::system::error_code wait_ec) {
    if (!wait_ec) self->CloseSocket();  // a client that neither reads nor closes
  };
  linger.async_wait(give_up);
  char sink[512];
  const asio::mutable_buffer into = asio::buffer(sink);
  for (;;) {
    auto [read_ec, n] = co_await stream_.socket().async_read_some(into, kNoThrow);
    if (read_ec) break;
  }
  linger.cancel();
}

asio::awaitable<void> Connection::Handle(Frame request, bool releases_overdraft) {
  const size_t body_bytes = request.body.size();
  std::string answer = co_await context_->handler(std::move(request));
  Enqueue(std::move(answer));
  --requests_in_flight_;
  bytes_in_flight_ -= body_bytes;
  Release(body_bytes);  // the answer, if it was queued, holds its own bytes now
  if (releases_overdraft) ReleaseOverdraft();
  request_done_.cancel();
}

bool Connection::TryReserve(size_t n, bool always) {
  std::atomic<size_t>& total = context_->total_bytes_in_flight;
  if (always) {
    total.fetch_add(n, std::memory_order_relaxed);
    return true;
  }
  size_t current = total.load(std::memory_order_relaxed);
  do {
    if (current != 0 && current + n > context_->max_total_bytes_in_flight) return false;
  } while (!total.compare_exchange_weak(current, current + n, std::memory_order_relaxed));
  return true;
}

void Connection::Release(size_t n) {
  context_->total_bytes_in_flight.fetch_sub(n, std::memory_order_relaxed);
}

void Connection::Enqueue(std::string frame) {
  if (write_failed_ || writer_done_) return;  // the peer is gone; the answer has nowhere to go
  ++answers_unwritten_;
  answer_bytes_unwritten_ += frame.size();
  // Answers count against the node's budget too (never refused: the request is done), so a
  // client that does not read them stops every connection's reading, not the node's memory.
  context_->total_bytes_in_flight.fetch_add(frame.size(), std::memory_order_relaxed);
  output_.push_back(std::move(frame));
  output_ready_.cancel();
}

asio::awaitable<void> Connection::WriteLoop() {
  std::vector<std::string> batch;
  for (;;) {
    if (output_.empty()) {
      if (closing_ || write_failed_) break;
      co_await output_ready_.async_wait(kNoThrow);
      continue;
    }
    batch.clear();
    batch.swap(output_);
    Status s = co_await AsyncWriteAll(stream_, batch);
    if (!s.ok()) {
      context_->logger->debug("connection from {}: {}", peer_, s.ToString());
      write_failed_ = true;
      output_.clear();
      answers_unwritten_ = 0;
      Release(answer_bytes_unwritten_);
      answer_bytes_unwritten_ = 0;
      CloseSocket();  // also ends the read loop
      break;
    }
    answers_unwritten_ -= batch.size();
    last_activity_ = std::chrono::steady_clock::now();  // idle counts from the last answer
    for (const std::string& frame : batch) {
      answer_bytes_unwritten_ -= frame.size();
      Release(frame.size());
    }
    request_done_.cancel();  // room for the read loop
  }
  writer_done_ = true;
  request_done_.cancel();
}

}  // namespace kv
