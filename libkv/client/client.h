// Client: a blocking connection to one kv node, for the tools, tests and kvbench. Each call
// (connecting and the handshake included, when the connection has to be made first) finishes
// within options.timeout. One request at a time; cheap enough to keep one Client per thread for
// concurrent load (no thread of its own: the calling thread runs its I/O).
//
// Results: Get gives the value, or std::nullopt when the key is absent (not an error). Errors:
// InvalidArgument (oversized key or value; nothing was sent), Unavailable (cannot connect, the
// connection was lost, the node refused), Timeout (no answer in time; a write may still land),
// Protocol (the peer is not a kv node), or the node's own error (e.g. IOError). After a lost
// connection or a timeout the next call connects again.
// Threads: one thread at a time per Client.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"
#include "libkv/net/host_port.h"

namespace kv {

struct ClientOptions {
  std::string cluster_name = "kv";
  std::chrono::milliseconds timeout{5000};  // per call
};

class Client {
 public:
  // Connects and completes the handshake, so a wrong address or cluster fails here.
  static Result<std::unique_ptr<Client>> Connect(const HostPort& node, ClientOptions options = {});
  // A client that connects at its first call.
  static std::unique_ptr<Client> Lazy(const HostPort& node, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Status Put(std::string_view key, std::string_view value);
  Status Delete(std::string_view key);
  Result<std::optional<std::string>> Get(std::string_view key);

  const HostPort& node() const { return node_; }
  // "kvnode 0.1.0", from the last handshake; empty before one.
  const std::string& server() const { return server_; }

 private:
  struct Io;
  Client(const HostPort& node, ClientOptions options);
  // Sends one request frame and returns the answer with the same request id (an Error answer
  // comes back as its Status).
  Result<Frame> Call(std::string request_frame, uint64_t request_id, bool is_write);
  uint64_t NextRequestId() { return next_request_id_++; }
  // Connects and handshakes unless connected.
  Status EnsureConnected(std::chrono::milliseconds timeout);

  HostPort node_;
  ClientOptions options_;
  std::string server_;
  uint64_t next_request_id_ = 1;
  std::unique_ptr<Io> io_;
};

}  // namespace kv
