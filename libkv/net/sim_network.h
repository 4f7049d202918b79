// SimNetwork: an in-process network for tests that run a whole cluster in one process. Nodes
// attach with their RequestHandler and executor (a strand); each node calls others through
// TransportFor(its own address), so faults can depend on who calls whom. A call goes through the
// real frame codec (the request is encoded and decoded, and so is the answer), runs the target's
// handler on the target's executor, and resumes the caller on its own.
//
// Faults, all decided by one seeded generator (the same seed and the same order of calls give the
// same faults): a crashed node neither receives nor sends (calls to it and from it fail at once
// with Unavailable); a partition drops messages between groups and a dropped message (partition
// or drop probability) costs the caller its timeout (Timeout); every message may be delayed
// uniformly in [min, max] with Asio timers. A node crashed, detached or partitioned away while
// handling a request still runs its handler, but its answer is lost. As transport.h asks,
// Unavailable means the request never reached the target; after it did, a failure is Timeout or
// MaybeApplied (a handler that threw, a caller cancelled meanwhile).
//
// Threads: every method may be called from any thread. The transports and the calls in flight
// share the network's state, so they may outlive the SimNetwork object. The network holds the
// nodes' handlers and executors until Detach: detach them (or destroy the network and its
// transports) before their io_context.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libkv/net/transport.h"
#include "libkv/net/wire_format.h"

namespace kv {

// Messages of one type: put on the simulated wire (requests and answers), and lost on it.
struct SimMessageCounts {
  uint64_t sent = 0;
  uint64_t dropped = 0;
};

class SimNetwork {
 public:
  explicit SimNetwork(uint64_t seed);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // Registers (or replaces) the node at `address`; `executor` must not run handlers in
  // parallel. The node is up (not crashed) afterwards.
  void Attach(std::string address, RequestHandler handler, boost::asio::any_io_executor executor);
  // Calls to it fail as to a crashed node from now on; its own calls too.
  void Detach(const std::string& address);
  // The transport the node at `address` calls others through (it need not be attached, e.g. a
  // client).
  std::shared_ptr<Transport> TransportFor(std::string address);

  void Crash(const std::string& address);
  void Recover(const std::string& address);
  // Messages between nodes of different groups are dropped (both ways); a node in no group
  // (a test's client, say) reaches every node. Replaces the previous partition.
  void Partition(std::vector<std::vector<std::string>> groups);
  void Heal();
  // Each request and each answer is lost with this probability, in [0, 1].
  void SetDropProbability(double probability);
  // Each request and each answer takes a uniform delay in [min, max].
  void SetDelay(std::chrono::milliseconds min, std::chrono::milliseconds max);

  SimMessageCounts Counts(wire::MessageType type) const;
  // All types together.
  SimMessageCounts TotalCounts() const;

  struct State;  // shared with the transports and the calls in flight

 private:
  std::shared_ptr<State> state_;
};

}  // namespace kv
