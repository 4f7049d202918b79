// NodeService: everything a node answers, whichever way a request reached it — a TCP connection
// (kvnode) or the simulated network of a test cluster, which runs this same code. It assembles
// the node's cluster parts over one engine: its identity (data dir), the ReplicaStore of sibling
// sets, the Gossiper (membership, ring), the Coordinator, the HintStore of writes it holds for
// down nodes and the HintedHandoff that returns them, and AntiEntropy (kvrepair), and routes each
// request frame to them
// (Answer, a RequestHandler).
//
// Life: Create -> Start (gossip and handoff begin) -> serving -> Stop (they end). The engine,
// transport, engine pool and logger are the caller's and outlive the service; so must the
// io_context that runs its coroutines stop before the service is destroyed. Threads: Answer runs on
// the request's strand, any number at once; the rest from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/net/frame.h"
#include "libkv/net/transport.h"
#include "libkv/node/gossiper.h"
#include "libkv/node/node_config.h"
#include "libkv/node/node_identity.h"
#include "libkv/replication/anti_entropy.h"
#include "libkv/replication/coordinator.h"
#include "libkv/replication/hint_store.h"
#include "libkv/replication/hinted_handoff.h"
#include "libkv/replication/replica_store.h"
#include "libkv/replication/tombstone_gc.h"
#include "libkv/storage/engine.h"

namespace spdlog {
class logger;
}

namespace kv {

class NodeService {
 public:
  struct Parts {
    Engine* engine = nullptr;
    Transport* transport = nullptr;
    Env* env = nullptr;
    boost::asio::thread_pool* engine_pool = nullptr;
    std::shared_ptr<spdlog::logger> logger;
    // Told of complete repairs; the engine's compaction asks it what to purge. Null: nothing is.
    std::shared_ptr<TombstoneGc> tombstone_gc;
  };

  // Loads or creates the identity in config.data_dir (InvalidArgument when it names another
  // node), and what the membership file remembers. `address` is where peers and clients reach
  // this node (the bound listen address).
  static Result<std::unique_ptr<NodeService>> Create(const NodeConfig& config,
                                                     const std::string& address, Parts parts);
  NodeService(const NodeService&) = delete;
  NodeService& operator=(const NodeService&) = delete;

  // Starts gossip and hinted handoff on `executor` (a strand).
  Status Start(boost::asio::any_io_executor executor);
  void Stop();
  ~NodeService();

  // The answer frame to one request frame.
  boost::asio::awaitable<std::string> Answer(Frame request);

  const NodeIdentity& identity() const { return identity_; }
  Gossiper& gossiper() { return *gossiper_; }
  Coordinator& coordinator() { return *coordinator_; }
  HintStore& hints() { return *hints_; }
  HintedHandoff& handoff() { return *handoff_; }
  AntiEntropy& anti_entropy() { return *anti_entropy_; }

 private:
  NodeService(const NodeConfig& config, NodeIdentity identity, Parts parts);

  const QuorumSettings quorum_;
  NodeIdentity identity_;
  Parts parts_;
  boost::asio::awaitable<std::string> AnswerReplicaWrite(uint64_t id, ReplicaWriteRequest request);

  std::unique_ptr<ReplicaStore> store_;
  std::unique_ptr<HintStore> hints_;
  std::unique_ptr<Gossiper> gossiper_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<HintedHandoff> handoff_;
  std::unique_ptr<AntiEntropy> anti_entropy_;
};

}  // namespace kv
