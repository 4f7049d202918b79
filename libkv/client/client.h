// Client: a blocking connection to one kv node, for the tools, tests and kvbench. Each call
// (connecting and the handshake included, when the connection has to be made first) finishes
// within options.timeout. One request at a time; cheap enough to keep one Client per thread for
// concurrent load (no thread of its own: the calling thread runs its I/O).
//
// Protocol 2 (libkv/net/client_messages.h): Get gives every version the replicas hold and a context
// (get_result.h; an absent key is a GetResult with found() false, not an error); Put and Delete
// take that context back in WriteOptions so that they supersede what the get saw (without one a
// write is blind: it becomes a sibling of whatever is there). Quorums of 0 are the node's
// defaults. Ring gives the ring as the node sees it (for kvring).
// Errors: InvalidArgument (oversized key or value, a malformed context token; nothing was sent),
// Unavailable (cannot connect, the node refused, a read's connection was lost: nothing was
// written), Timeout (no answer in time; a write may still land), MaybeApplied (a write's
// connection was lost after it was sent, or the node stored it but missed its quorum: it may
// have been applied), Protocol (the peer is not a kv node, or sent something that does not
// decode), or the node's own error (e.g. IOError). After a lost connection or a timeout the next
// call connects again.
// Threads: one thread at a time per Client.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/client/get_result.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/frame.h"
#include "libkv/net/host_port.h"
#include "libkv/net/tls.h"

namespace kv {

struct ReadOptions {
  uint32_t r = 0;  // replicas that must answer; 0: the node's default (kvnode --read-quorum)
  // Non-empty (with r 0): a local quorum of this zone instead, a majority of the key's replicas
  // in it (Cassandra's LOCAL_QUORUM; libkv/replication/local_quorum.h).
  std::string local_zone = {};
};

struct WriteOptions {
  // The binary context token of a get (GetResult::context); empty: a blind write.
  std::string context;
  uint32_t w = 0;  // replicas that must acknowledge; 0: the node's default (--write-quorum)
  // Only the key's own replicas count toward W: no stand-in under a sloppy quorum (Riak's PW).
  bool primaries_only = false;
  std::string local_zone = {};  // as ReadOptions's, with w 0
};

// InvalidArgument when `context` is neither empty nor a well-formed context token. Put and Delete
// check it before sending; exposed for tools that want to fail before reading a value.
Status CheckContextToken(std::string_view context);

struct ClientOptions {
  std::string cluster_name = "kv";
  std::chrono::milliseconds timeout{5000};  // per call
  // The client's certificate, key and CA (libkv/net/tls.h; tls_flags.h makes it from the tools'
  // flags); null: plain TCP.
  std::shared_ptr<TlsContext> tls = nullptr;
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

  Result<GetResult> Get(std::string_view key, const ReadOptions& options = {});
  Status Put(std::string_view key, std::string_view value, const WriteOptions& options = {});
  // Writes a tombstone that supersedes what options.context saw.
  Status Delete(std::string_view key, const WriteOptions& options = {});
  // The ring as the node sees it; with a key, also that key's preference list.
  Result<RingResponse> Ring(std::string_view key = {});
  // Anti-entropy now on the node (kvrepair): lists the ranges it replicates, or repairs one with
  // every other replica of it. A repair can take long: give the client a timeout to match.
  Result<RepairResponse> Repair(const RepairRequest& request);
  // kvring leave: makes the node leave the cluster, or (status_only) asks how its leave goes.
  Result<LeaveResponse> Leave(const LeaveRequest& request);
  // kvring stats: the node's live figures (memory, engine, block cache, hints).
  Result<StatsResponse> Stats();
  // kvring cleanup: makes the node remove the keys it no longer replicates, or (status_only) asks
  // how its last cleanup went.
  Result<CleanupResponse> Cleanup(const CleanupRequest& request);
  // kvring remove: the node takes a dead node out of the ring (RemoveRequest).
  Result<RemoveResponse> Remove(const RemoveRequest& request);
  // kvring metrics: the node's metrics in Prometheus's text format (docs/metrics.md).
  Result<MetricsResponse> Metrics();
  // kvrepair --status: each range's last complete repair and whether tombstones may be purged.
  Result<RepairStatusResponse> RepairStatus();

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
  // Drops the connection when the node has closed it (an idle timeout) or sent anything
  // unasked, so that the next request goes on a new one.
  void DropIfClosedByNode();

  HostPort node_;
  ClientOptions options_;
  std::string server_;
  uint64_t next_request_id_ = 1;
  std::unique_ptr<Io> io_;
};

}  // namespace kv
