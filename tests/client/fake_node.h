// FakeNode: a protocol-2 server in the test process, for the client's tests while no real node
// coordinates siblings: one replica's worth of a coordinator (a SiblingSet per key, written with
// SiblingSet::Put under one clock id), a canned RingResponse, and per-key scripted answers for
// the cases a real node should never produce (a malformed sibling set, the wrong message type).
// It serves on 127.0.0.1 with a free port, from its own thread, one request at a time per
// connection. Test code only.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/frame_io.h"
#include "libkv/net/handshake.h"
#include "libkv/net/host_port.h"
#include "libkv/net/messages.h"
#include "libkv/versioning/context_token.h"
#include "libkv/versioning/sibling_set.h"

namespace kv {

class FakeNode {
 public:
  static constexpr ClockId kClockId = 0x1f2e3d4c5b6a7988ULL;
  // Given a request frame, a whole answer frame to send instead of the normal one, or nullopt.
  using Script = std::function<std::optional<std::string>(const Frame& request)>;

  explicit FakeNode(Script script = {})
      : script_(std::move(script)),
        acceptor_(io_,
                  boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    ring_.self = "fake";
    ring_.replicas = 3;
    ring_.read_quorum = 2;
    ring_.write_quorum = 2;
    ring_.nodes.push_back(RingNodeInfo{.id = "fake",
                                       .address = address().ToString(),
                                       .up = true,
                                       .state = "normal",
                                       .vnodes = 16,
                                       .ownership = 1.0,
                                       .primary_ownership = 1.0,
                                       .seconds_since_heard = -1,
                                       .generation = 1,
                                       .clock_id = ClockIdToHex(kClockId)});
    boost::asio::co_spawn(io_, Accept(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeNode() {
    io_.stop();
    thread_.join();
  }

  HostPort address() const { return HostPort{"127.0.0.1", acceptor_.local_endpoint().port()}; }
  // The ring the node answers with. Only before the first request.
  RingResponse& ring() { return ring_; }

 private:
  boost::asio::awaitable<void> Accept() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(boost::asio::use_awaitable);
      boost::asio::co_spawn(io_, Serve(std::move(socket)), boost::asio::detached);
    }
  }

  // Temporaries stay out of co_await expressions: GCC 12 may destroy them twice there.
  boost::asio::awaitable<void> Serve(boost::asio::ip::tcp::socket socket) {
    Result<std::string> fixed = co_await AsyncReadExactly(socket, wire::kHandshakeFixedBytes);
    if (!fixed.ok()) co_return;
    Result<HandshakePrefix> prefix = DecodeHandshakePrefix(*fixed);
    if (!prefix.ok()) co_return;
    Result<std::string> name = co_await AsyncReadExactly(socket, prefix->cluster_name_bytes);
    if (!name.ok()) co_return;
    HandshakeOk ok;
    ok.server = "fake";
    const std::string hello = EncodeMessageFrame(ok, 0);
    Status sent = co_await AsyncWriteAll(socket, hello);
    if (!sent.ok()) co_return;
    for (;;) {
      Result<Frame> request = co_await AsyncReadFrame(socket);
      if (!request.ok()) co_return;
      std::optional<std::string> answer;
      if (script_) answer = script_(*request);
      if (!answer) answer = Answer(*request);
      const std::string bytes = std::move(*answer);
      sent = co_await AsyncWriteAll(socket, bytes);
      if (!sent.ok()) co_return;
    }
  }

  std::string Error(const Status& s, uint64_t id) {
    return EncodeMessageFrame(StatusToErrorResponse(s), id);
  }

  // A blind or contextual write of a value or a tombstone.
  Status Write(const std::string& key, const std::string& context, bool tombstone,
               std::string value) {
    VectorClock clock;
    if (!context.empty()) {
      Result<VectorClock> c = DecodeContextToken(context);
      if (!c.ok()) return Status::InvalidArgument(c.status().message());
      clock = *c;
    }
    ++now_micros_;
    return data_[key]
        .Put(SiblingWrite{.context = clock,
                          .coordinator = kClockId,
                          .tombstone = tombstone,
                          .value = std::move(value),
                          .now_micros = now_micros_,
                          .min_counter = 0},
             ClockPruneOptions{})
        .status();
  }

  std::string Answer(const Frame& f) {
    const uint64_t id = f.request_id;
    switch (f.type) {
      case wire::MessageType::kGetRequest: {
        Result<GetRequest> r = DecodeMessage<GetRequest>(f.body);
        if (!r.ok()) return Error(r.status(), id);
        GetResponse response;
        auto it = data_.find(r->key);
        if (it != data_.end() && !it->second.empty()) {
          response.found = !it->second.AllTombstones();
          response.siblings = it->second.Encode();
          response.context = EncodeContextToken(it->second.Context());
        }
        return EncodeMessageFrame(response, id);
      }
      case wire::MessageType::kPutRequest: {
        Result<PutRequest> r = DecodeMessage<PutRequest>(f.body);
        if (!r.ok()) return Error(r.status(), id);
        Status s = Write(r->key, r->context, false, std::move(r->value));
        return s.ok() ? EncodeMessageFrame(PutResponse{}, id) : Error(s, id);
      }
      case wire::MessageType::kDeleteRequest: {
        Result<DeleteRequest> r = DecodeMessage<DeleteRequest>(f.body);
        if (!r.ok()) return Error(r.status(), id);
        Status s = Write(r->key, r->context, true, {});
        return s.ok() ? EncodeMessageFrame(DeleteResponse{}, id) : Error(s, id);
      }
      case wire::MessageType::kRingRequest: {
        Result<RingRequest> r = DecodeMessage<RingRequest>(f.body);
        if (!r.ok()) return Error(r.status(), id);
        RingResponse response = ring_;
        response.key = r->key;
        if (!r->key.empty()) response.preference_list = {"fake"};
        return EncodeMessageFrame(response, id);
      }
      default:
        return Error(Status::Protocol("the fake node does not serve this request"), id);
    }
  }

  Script script_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  RingResponse ring_;
  std::map<std::string, SiblingSet> data_;  // only touched from the io thread
  uint64_t now_micros_ = 1700000000000000;
  std::thread thread_;
};

}  // namespace kv
