// Gossiper: runs this node's membership over a Transport. Once per interval it beats its
// heartbeat and runs the three-way exchange (libkv/membership) with the peers the table chooses
// (a live one, sometimes an unreachable one or a seed); it answers the exchanges peers start.
// Whenever what the ring depends on changes it publishes a new ClusterView (ring and addresses)
// and persists the table in the data directory, so a restart remembers the cluster.
//
// Threads: every public method is safe from any thread (the table sits behind a mutex; gossip
// rounds run as coroutines on the executor given to Start). Stop, then destroy the io_context's
// work before the Gossiper.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "libkv/async/stop_signal.h"
#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/membership/membership.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/transport.h"
#include "libkv/replication/cluster_view.h"

namespace spdlog {
class logger;
}

namespace kv {

struct GossipOptions {
  std::chrono::milliseconds interval{1000};
  std::vector<std::string> seeds;  // host:port of nodes to join through
  PhiAccrualOptions detector;
  // Measures this node's load (its engine's table bytes and estimated keys) for each heartbeat,
  // which gossips it (kvring's LOAD column). Called once a round, outside the table's lock; it
  // must be cheap (EngineStats is). Null: this node states no load.
  std::function<NodeLoad()> measure_load;
};

class Gossiper {
 public:
  // `self` is this node's state for this life (a new generation); `known` what its membership
  // file remembered of the others. The file is rewritten at `membership_path` through `env`.
  Gossiper(NodeState self, const std::vector<NodeState>& known, GossipOptions options,
           Transport* transport, Env* env, std::string membership_path,
           std::shared_ptr<spdlog::logger> logger);
  Gossiper(const Gossiper&) = delete;
  Gossiper& operator=(const Gossiper&) = delete;

  // Persists the table (so this life's generation is on disk before serving) and starts the
  // rounds on `executor`, which must not run handlers in parallel.
  Status Start(boost::asio::any_io_executor executor);
  // Ends the rounds; a round in flight finishes on its own. Any thread.
  void Stop();

  // The answers to a peer's SYN (an ACK) and ACK2 (nothing); Protocol error for a bad payload.
  Result<GossipAck> HandleSyn(std::string_view payload);
  Status HandleAck2(std::string_view payload);

  std::shared_ptr<const ClusterView> view() const;
  bool IsUp(std::string_view id) const;
  // Whether this node's failure detector shows any other node up: it has reached the cluster.
  bool SeesPeers() const;
  // The other nodes that are normal and that the failure detector shows up: those that would
  // hold the keys were this node to leave now.
  size_t NormalPeersUp() const;

  // This node's own status (joining, normal, leaving, left). SetSelfStatus gossips a change
  // from the next round on, publishes the view it implies and persists it, so a restart resumes
  // in that status.
  NodeStatus self_status() const;
  Status SetSelfStatus(NodeStatus status);
  // Records this node's chosen tokens (TokenKind::kChosen): persisted in the membership file
  // before the next round gossips them, and the view republished. Called once, by a joining node
  // whose tokens were pending.
  Status SetSelfTokens(std::vector<uint64_t> tokens);
  TokenKind self_token_kind() const;
  // Whether another joining node whose tokens are pending, with an id before this node's, is up:
  // nodes joining together choose one after the other, in id order, each against the tokens of
  // those before it (two choosing at once against the same ring would pick the same ranges).
  bool EarlierPendingPeerUp() const;
  // The members of the ring once every join and leave under way has completed, this node
  // excluded: what a joining node chooses its tokens against.
  std::vector<RingMember> FutureRingMembersButSelf() const;
  // Ok when the ring is settled, as cleanup requires (it deletes what the ring says this node no
  // longer replicates, so a ring that is wrong or about to change must not drive it): no node is
  // joining or leaving, every node of the ring is up, and the ring has not changed for
  // `ring_delay` (so every node has heard of the last change, and a change just learnt — fake
  // members included — is not acted on at once). Else Unavailable, saying why and when to retry.
  Status CheckSettled(std::chrono::milliseconds ring_delay) const;

  // kvring remove: takes `id`, a node that is down for good, out of the ring — marks it left on
  // its behalf (MembershipTable::MarkLeftOnBehalf), publishes the view and persists it; gossip
  // spreads it. Refused (InvalidArgument, saying what to do) for this node, an unknown or left
  // node, a node that is up, and unless `force` when fewer than `replicas` normal nodes would
  // remain up or another node of the ring is down. Returns the nodes whose ranges for `replicas`
  // grew (sorted): they must fetch them from the remaining replicas.
  Result<std::vector<std::string>> RemoveDeadNode(std::string_view id, size_t replicas, bool force);

  // Why a gossip state of node `id` was refused (the first reason, as logged), or nothing if
  // none was: a node whose settings differ from this one's is refused (MembershipTable), and so
  // is this node by a cluster whose settings differ.
  std::optional<std::string> RefusalOf(std::string_view id) const;

  // The ring as this node sees it, for kvring; with a key, its preference list too.
  RingResponse Describe(std::string_view key, const QuorumSettings& quorum) const;

 private:
  boost::asio::awaitable<void> Rounds();
  boost::asio::awaitable<void> Exchange(std::string address, std::string syn);
  static uint64_t WallSeconds();
  // REQUIRES: mu_ held.
  void OnChangesLocked(const std::vector<StateChange>& changes);
  void LogRefusalsLocked(const std::vector<StateChange>& changes);
  void PublishViewLocked();
  void PersistLocked();
  void LogUpDownLocked(uint64_t now);

  const GossipOptions options_;
  Transport* const transport_;
  Env* const env_;
  const std::string membership_path_;
  std::shared_ptr<spdlog::logger> logger_;

  mutable std::mutex mu_;
  MembershipTable table_;                    // GUARDED_BY(mu_)
  std::shared_ptr<const ClusterView> view_;  // GUARDED_BY(mu_)
  // When view_'s rings last changed (or this life began): CheckSettled.
  std::chrono::steady_clock::time_point ring_changed_at_;  // GUARDED_BY(mu_)
  std::map<std::string, bool, std::less<>> up_;            // GUARDED_BY(mu_): last logged state
  std::mt19937_64 rng_;                                    // GUARDED_BY(mu_)
  static constexpr size_t kMaxRefusalsLogged = 4096;
  // GUARDED_BY(mu_): node id -> why its state was first refused (logged then).
  std::map<std::string, std::string, std::less<>> refusals_logged_;
  // GUARDED_BY(mu_): node id -> when this node learnt it had left (the epoch: before this life).
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> left_seen_;
  bool load_measured_ = false;  // GUARDED_BY(mu_): a heartbeat has carried this node's load
  StopSignal stop_;
};

// Monotonic microseconds, the time base of the failure detector.
uint64_t MonotonicMicros();
// Microseconds since the Unix epoch, for version timestamps.
uint64_t WallMicros();

}  // namespace kv
