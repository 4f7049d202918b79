// GossipSimulation: a cluster's membership in one process and in virtual time, for the tests and
// `kvbench gossip` (docs/benchmarks.md, "Gossip at scale"). Each of N MembershipTables runs a
// gossip round once per interval at its own phase, with the Gossiper's steps in its order
// (libkv/node/gossiper.cc): BeatHeartbeat with its load, ChooseGossipTargets, MakeSyn encoded
// once; per target, the target's HandleSyn, HandleAck, the target's HandleAck2. Every message is
// encoded and decoded on the way (its codec runs, its bytes are counted), delivered at once (a
// network's milliseconds are nothing beside a round) or lost at a seeded rate. One seed drives the
// phases, the targets and the losses, so a run repeats exactly.
// Pure: no I/O, no clock (time is `now()`, advanced by Tick). A plain value, not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "libkv/membership/membership.h"

namespace kv {

// Who a node gossips with this round (addresses), given its table and the seeds' addresses.
using GossipTargetRule = std::function<std::vector<std::string>(
    const MembershipTable& table, const std::vector<std::string>& seeds, std::mt19937_64& rng,
    uint64_t now_micros)>;

struct GossipSimulationOptions {
  size_t nodes = 10;
  uint64_t seed = 1;
  double loss = 0;                       // probability that any one message is lost
  uint64_t interval_micros = 1'000'000;  // between a node's rounds: kvnode's (GossipOptions)
  // Phases, rounds and every measurement fall on ticks: a convergence time is exact to a tick.
  uint64_t tick_micros = 10'000;
  size_t seeds = 2;  // nodes 0..seeds-1 are the seeds every node is configured with
  // true: every node starts knowing every other one, as from its membership file after a
  // restart of the whole cluster (down until heard from); false: knowing only itself, as a new
  // cluster does, so it learns the others through the seeds.
  bool start_known = true;
  PhiAccrualOptions detector;  // kvnode's defaults
  uint32_t vnodes = 128;       // kvnode's default --vnodes
  // The load every node states on its heartbeat (a node with an engine does): its bytes count.
  NodeLoad load{.disk_bytes = uint64_t{64} << 30, .keys = 500'000'000};
  // Null: the table's own rule (MembershipTable::ChooseGossipTargets), as the Gossiper does. A
  // test gives a worse rule to show what the real one is worth.
  GossipTargetRule choose_targets;
};

// What the nodes sent one another: the encoded gossip messages (docs/formats.md, "Gossip"),
// without the frames that carry them.
struct GossipTraffic {
  uint64_t syns = 0, acks = 0, ack2s = 0;
  uint64_t syn_bytes = 0, ack_bytes = 0, ack2_bytes = 0;

  uint64_t bytes() const { return syn_bytes + ack_bytes + ack2_bytes; }
  friend GossipTraffic operator-(const GossipTraffic& a, const GossipTraffic& b);
};

class GossipSimulation {
 public:
  explicit GossipSimulation(GossipSimulationOptions options);

  size_t size() const { return nodes_.size(); }
  uint64_t now() const { return now_; }
  const GossipSimulationOptions& options() const { return options_; }
  const MembershipTable& table(size_t i) const { return *nodes_[i].table; }
  // For a test to change a node's own state (SetStatus), as its operator would.
  MembershipTable& mutable_table(size_t i) { return *nodes_[i].table; }
  const std::string& id(size_t i) const { return nodes_[i].id; }
  bool alive(size_t i) const { return nodes_[i].alive; }
  const GossipTraffic& traffic() const { return traffic_; }
  uint64_t rounds_run() const { return rounds_run_; }  // gossip rounds of all nodes together

  // Advances one tick: every live node whose phase falls in it runs its round.
  void Tick();
  void RunFor(uint64_t micros);
  // Ticks until `done()` holds (checked before each tick), for at most `limit_micros`; how long
  // it took, or nullopt.
  std::optional<uint64_t> RunUntil(const std::function<bool()>& done, uint64_t limit_micros);

  // A new node, configured with the seeds and knowing nothing else (a join); its index.
  size_t AddNode();
  // Stops node i; its table is kept as its membership file would be.
  void Stop(size_t i);
  // Starts node i again from its membership file, with a new generation.
  void Restart(size_t i);

  // How many live nodes other than i hold node i's state at (generation, version) or newer.
  size_t HoldersOf(size_t i, uint64_t generation, uint64_t version) const;
  // How many live nodes other than i see node i down.
  size_t Convicting(size_t i) const;
  // Every live node knows every node with its generation, address, status and vnodes (heartbeat
  // versions always differ a little) and sees every live node up.
  bool Converged() const;
  // (observer, live node) pairs, both live, where the observer sees the node down; and the
  // highest phi any live node has of another live one. O(N^2) phi computations each.
  size_t FalseDowns() const;
  double MaxPhiOfLiveNodes() const;

  // The measurements of `kvbench gossip` and the tests. Each is nullopt if it did not happen
  // within `limit_micros`.
  //
  // A new state of node i spreading: from node i's next round (whose heartbeat is the new
  // state) until every other live node holds it.
  std::optional<uint64_t> MeasureSpread(size_t i, uint64_t limit_micros);
  // The same for several nodes at once: their states spread side by side, independently.
  std::vector<std::optional<uint64_t>> MeasureSpreads(const std::vector<size_t>& sources,
                                                      uint64_t limit_micros);
  // A join: AddNode, then from the new node's first round until every other live node knows it.
  std::optional<uint64_t> MeasureJoin(uint64_t limit_micros);
  // Stops node i now; for each other live node, how long after it convicted node i (phi at the
  // threshold), sorted. Stops measuring (nullopt) at the limit if any has not.
  std::optional<std::vector<uint64_t>> MeasureDetection(size_t i, uint64_t limit_micros);

 private:
  struct SimNode {
    std::string id;
    std::string address;
    std::optional<MembershipTable> table;
    uint64_t phase = 0;  // micros into each interval, a multiple of tick_micros
    bool alive = true;
    std::string membership_file;  // written at Stop
  };

  NodeState InitialState(size_t i) const;
  size_t AddSimNode(NodeState self);
  uint64_t WallSeconds() const;
  bool Lost();
  void GossipRound(size_t i);
  void Exchange(MembershipTable& from, const std::string& syn, size_t target);

  GossipSimulationOptions options_;
  std::mt19937_64 rng_;
  uint64_t now_;
  std::vector<SimNode> nodes_;
  std::unordered_map<std::string, size_t> by_address_;
  // The nodes whose phase is each tick of the interval, in the order they were added.
  std::vector<std::vector<size_t>> by_phase_;
  std::vector<std::string> seed_addresses_;
  GossipTraffic traffic_;
  uint64_t rounds_run_ = 0;
};

}  // namespace kv
