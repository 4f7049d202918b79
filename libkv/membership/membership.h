// MembershipTable: this node's view of the cluster — the gossip state of every node it has heard
// of (itself included) and, through its PhiAccrualDetector, which of them are up. Gossip is a
// three-way exchange (Cassandra's): MakeSyn -> the peer's HandleSyn -> HandleAck -> the peer's
// HandleAck2. Pure: messages and time (monotonic microseconds) are passed in, the node sends what
// comes back. A plain value, not thread-safe: the node serialises calls (one strand).
//
// Only this node changes its own state (BeatHeartbeat, SetStatus); what others say about it is
// never taken — but a newer state of it than its own (a forgery, or its previous life when the
// clock stepped back) makes it take a generation above that one, so that its next gossip
// supersedes the stale entry everywhere. Any other node's state is replaced by a newer one
// (generation, version), so a restart's new generation supersedes the previous life; every such
// replacement is a heartbeat arrival for the detector.
//
// Defence in depth (MembershipLimits), against a peer that is authenticated but hostile or
// broken: a generation further ahead of this node's wall clock than a day is refused (a
// generation is a start time in seconds, NextGeneration; 2^64-1 would pin a node's entry for
// ever); the table holds at most max_members nodes, and the nodes that are not left at most
// max_ring_vnodes vnodes together, so that a ring rebuild stays cheap. Past a cap, new nodes (or
// an update that would add vnodes) are refused; the nodes already known still update. A refused
// state is reported (StateChange::kRefused) for the node to log, and changes nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/membership/gossip_messages.h"
#include "libkv/membership/node_state.h"
#include "libkv/membership/phi_accrual.h"

namespace kv {

// What applying a remote state changed, for the node to log and to rebuild its ring on.
struct StateChange {
  enum class Kind {
    kNew,        // a node not known before
    kRestarted,  // a higher generation
    kUpdated,    // a higher version of the same generation (a heartbeat, maybe more)
    // Not applied (MembershipLimits): `why` says which limit. For this node's own id: a newer
    // state of it was heard and this node took a generation above it (`why` says so).
    kRefused,
    kSelfCorrected,
  };
  std::string id;
  Kind kind = Kind::kUpdated;
  // The parts the ring depends on (address, status, vnodes, zone) differ from before; always true
  // for kNew.
  bool ring_changed = false;
  std::string why;  // kRefused and kSelfCorrected only

  friend bool operator==(const StateChange&, const StateChange&) = default;
};

struct AckOutcome {
  GossipAck2Message reply;  // send it to the peer that sent the ACK
  std::vector<StateChange> changes;
};

// Defaults: a day of clock skew and forgery margin; a cluster of up to 4,096 nodes ever (left
// ones stay in the table), 2^18 vnodes in the ring (2,048 nodes at the default 128).
struct MembershipLimits {
  uint64_t max_generation_ahead_seconds = 24 * 3600;
  size_t max_members = 4096;
  uint64_t max_ring_vnodes = uint64_t{1} << 18;
};

class MembershipTable {
 public:
  explicit MembershipTable(NodeState self, PhiAccrualOptions detector_options = {},
                           MembershipLimits limits = {});

  const NodeState& self() const { return states_.at(self_id_); }
  // Every known node by id, this one included.
  const std::map<std::string, NodeState, std::less<>>& states() const { return states_; }
  const NodeState* Find(std::string_view id) const;
  const PhiAccrualDetector& detector() const { return detector_; }

  // This node's own changes; each bumps its version. Beat once per gossip round, before MakeSyn;
  // with a load, the beat also carries the load this node measured for it (kvring's LOAD), in the
  // same version bump.
  void BeatHeartbeat();
  void BeatHeartbeat(const NodeLoad& load);
  void SetStatus(NodeStatus status);
  // This node's chosen tokens (one per vnode), from now on: gossiped as TokenKind::kChosen.
  void SetTokens(std::vector<uint64_t> tokens);
  // kvring remove: marks `id`, another node, left on its behalf — the one change to another
  // node's state this node makes, for a node that is down for good and will never speak again.
  // Its version jumps far ahead (kOnBehalfVersionStep), past whatever heartbeats of it another
  // node may hold, so that the change supersedes them as the node's own would. InvalidArgument
  // for this node or an unknown one.
  Status MarkLeftOnBehalf(std::string_view id);
  static constexpr uint64_t kOnBehalfVersionStep = uint64_t{1} << 20;

  // This node is always up; a node that has left never is; any other when its phi is below the
  // threshold. A node only known from the membership file is down until heard from.
  bool IsUp(std::string_view id, uint64_t now_micros) const;
  double Phi(std::string_view id, uint64_t now_micros) const;
  // Ids of the other nodes (not left) that are up, and that are down; sorted.
  std::vector<std::string> LivePeers(uint64_t now_micros) const;
  std::vector<std::string> UnreachablePeers(uint64_t now_micros) const;

  // Where to send this round's SYN (addresses, no duplicates, never this node's own): a random
  // live peer; with probability unreachable / (live + 1) also a random unreachable one, so a
  // node coming back is noticed; and a random seed when no peer is live, or else now and then
  // (probability seeds / (live + unreachable)) unless the live peer chosen is a seed, so
  // partitions heal through the seeds (Cassandra's rules). Seeds are addresses (host:port).
  std::vector<std::string> ChooseGossipTargets(const std::vector<std::string>& seed_addresses,
                                               std::mt19937_64& rng, uint64_t now_micros) const;

  // The three steps of an exchange. The SYN carries a digest of every known node.
  GossipSynMessage MakeSyn() const;
  // Changes nothing: answers with the states newer than the sender's digests (and those the
  // sender did not mention), and digests of the ones the sender has newer.
  GossipAckMessage HandleSyn(const GossipSynMessage& syn) const;
  // Applies the ACK's states; the reply carries the states the ACK asked for, where ours are newer.
  // `wall_seconds` is this node's wall clock (seconds since the Unix epoch), which bounds the
  // generations it accepts.
  AckOutcome HandleAck(const GossipAckMessage& ack, uint64_t now_micros, uint64_t wall_seconds);
  std::vector<StateChange> HandleAck2(const GossipAck2Message& ack2, uint64_t now_micros,
                                      uint64_t wall_seconds);

  // Merges states learnt from anywhere; returns what changed, and what was refused.
  std::vector<StateChange> Apply(const std::vector<NodeState>& states, uint64_t now_micros,
                                 uint64_t wall_seconds);

  // Persistence (docs/formats.md, "Gossip", `membership_file`): every known state, this node's
  // included, with a checksum. On start the node decodes its file, takes its own old generation
  // for NextGeneration, builds the table with its new self, and calls Restore with the rest.
  std::string EncodeFile() const;
  // Corruption for a bad checksum or anything malformed.
  static Result<std::vector<NodeState>> DecodeFile(std::string_view bytes);
  // Adds the states of other nodes as known but not heard from: down until gossip shows them a
  // heartbeat. This node's own entry is ignored, and so is what the limits refuse (a file
  // written before they existed may hold a forged generation); returns what was refused.
  std::vector<StateChange> Restore(const std::vector<NodeState>& states, uint64_t wall_seconds);

  // The vnodes of the nodes that are not left, together (bounded by max_ring_vnodes).
  uint64_t ring_vnodes() const { return ring_vnodes_; }

 private:
  // The reason `remote` may not replace `ours` (null: a new node), or empty when it may.
  std::string Refusal(const NodeState& remote, const NodeState* ours, uint64_t wall_seconds) const;
  static uint64_t RingVnodes(const NodeState& s) {
    return s.status == NodeStatus::kLeft ? 0 : s.vnodes;
  }

  std::string self_id_;
  MembershipLimits limits_;
  std::map<std::string, NodeState, std::less<>> states_;
  uint64_t ring_vnodes_ = 0;  // RingVnodes summed over states_
  PhiAccrualDetector detector_;
};

}  // namespace kv
