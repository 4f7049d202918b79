#include "libkv/membership/membership.h"

#include <algorithm>

#include <fmt/format.h>

#include "libkv/base/checksum.h"
#include "libkv/base/coding.h"
#include "libkv/membership/membership_format.h"

namespace kv {

MembershipTable::MembershipTable(NodeState self, PhiAccrualOptions detector_options,
                                 MembershipLimits limits)
    : self_id_(self.id), limits_(limits), detector_(detector_options) {
  ring_vnodes_ = RingVnodes(self);
  states_.emplace(self.id, std::move(self));
}

const NodeState* MembershipTable::Find(std::string_view id) const {
  auto it = states_.find(id);
  return it == states_.end() ? nullptr : &it->second;
}

void MembershipTable::BeatHeartbeat() {
  ++states_.at(self_id_).version;
}

void MembershipTable::BeatHeartbeat(const NodeLoad& load) {
  NodeState& s = states_.at(self_id_);
  s.load = load;
  ++s.version;
}

void MembershipTable::SetTokens(std::vector<uint64_t> tokens) {
  NodeState& s = states_.at(self_id_);
  s.token_kind = TokenKind::kChosen;
  s.tokens = std::move(tokens);
  ++s.version;
}

void MembershipTable::SetStatus(NodeStatus status) {
  NodeState& s = states_.at(self_id_);
  ring_vnodes_ -= RingVnodes(s);
  s.status = status;
  ring_vnodes_ += RingVnodes(s);
  ++s.version;
}

Status MembershipTable::MarkLeftOnBehalf(std::string_view id) {
  if (id == self_id_)
    return Status::InvalidArgument("a node cannot mark itself left on its behalf");
  auto it = states_.find(id);
  if (it == states_.end()) return Status::InvalidArgument(fmt::format("node {} is not known", id));
  NodeState& s = it->second;
  ring_vnodes_ -= RingVnodes(s);
  s.status = NodeStatus::kLeft;
  s.version += kOnBehalfVersionStep;
  return Status::Ok();
}

bool MembershipTable::IsUp(std::string_view id, uint64_t now_micros) const {
  if (id == self_id_) return true;
  const NodeState* s = Find(id);
  if (s == nullptr || s->status == NodeStatus::kLeft) return false;
  return detector_.IsUp(id, now_micros);
}

double MembershipTable::Phi(std::string_view id, uint64_t now_micros) const {
  if (id == self_id_) return 0;
  return detector_.Phi(id, now_micros);
}

std::vector<std::string> MembershipTable::LivePeers(uint64_t now_micros) const {
  std::vector<std::string> out;
  for (const auto& [id, s] : states_) {
    if (id != self_id_ && IsUp(id, now_micros)) out.push_back(id);
  }
  return out;
}

std::vector<std::string> MembershipTable::UnreachablePeers(uint64_t now_micros) const {
  std::vector<std::string> out;
  for (const auto& [id, s] : states_) {
    if (id != self_id_ && s.status != NodeStatus::kLeft && !IsUp(id, now_micros)) {
      out.push_back(id);
    }
  }
  return out;
}

namespace {

template <class T>
const T& PickOne(const std::vector<T>& from, std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> pick(0, from.size() - 1);
  return from[pick(rng)];
}

bool Chance(double p, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  return u(rng) < p;
}

}  // namespace

std::vector<std::string> MembershipTable::ChooseGossipTargets(
    const std::vector<std::string>& seed_addresses, std::mt19937_64& rng,
    uint64_t now_micros) const {
  std::vector<std::string> targets;
  auto add = [&](const std::string& address) {
    if (address.empty() || address == self().address) return;
    if (std::find(targets.begin(), targets.end(), address) == targets.end()) {
      targets.push_back(address);
    }
  };
  std::vector<std::string> seeds;
  for (const std::string& a : seed_addresses) {
    if (a != self().address) seeds.push_back(a);
  }
  // LivePeers and UnreachablePeers in one pass: a phi per peer, which at a thousand nodes is
  // most of a round's CPU.
  std::vector<std::string_view> live;
  std::vector<std::string_view> unreachable;
  for (const auto& [id, s] : states_) {
    if (id == self_id_ || s.status == NodeStatus::kLeft) continue;
    (detector_.IsUp(id, now_micros) ? live : unreachable).push_back(id);
  }

  bool gossiped_to_seed = false;
  if (!live.empty()) {
    const std::string& address = states_.find(PickOne(live, rng))->second.address;
    gossiped_to_seed = std::find(seeds.begin(), seeds.end(), address) != seeds.end();
    add(address);
  }
  if (!unreachable.empty() &&
      Chance(static_cast<double>(unreachable.size()) / static_cast<double>(live.size() + 1), rng)) {
    add(states_.find(PickOne(unreachable, rng))->second.address);
  }
  if (!seeds.empty()) {
    if (live.empty()) {
      add(PickOne(seeds, rng));
    } else if (!gossiped_to_seed || live.size() < seeds.size()) {
      double p =
          static_cast<double>(seeds.size()) / static_cast<double>(live.size() + unreachable.size());
      if (Chance(p, rng)) add(PickOne(seeds, rng));
    }
  }
  return targets;
}

GossipSynMessage MembershipTable::MakeSyn() const {
  GossipSynMessage syn;
  syn.from = self_id_;
  syn.digests.reserve(states_.size());
  for (const auto& [id, s] : states_) syn.digests.push_back(DigestOf(s));
  return syn;
}

GossipAckMessage MembershipTable::HandleSyn(const GossipSynMessage& syn) const {
  GossipAckMessage ack;
  // Our states the SYN mentions, by address (no string compares): usually all of them.
  std::vector<const NodeState*> mentioned;
  mentioned.reserve(syn.digests.size());
  for (const GossipDigest& d : syn.digests) {
    const NodeState* ours = Find(d.id);
    if (ours != nullptr) mentioned.push_back(ours);
    int order = ours == nullptr
                    ? -1
                    : CompareVersions(ours->generation, ours->version, d.generation, d.version);
    if (order > 0) {
      ack.states.push_back(*ours);
    } else if (order < 0 && d.id != self_id_) {
      // Ours is older (or missing): ask for theirs. Never for our own id: only we speak for us.
      GossipDigest want{d.id, ours ? ours->generation : 0, ours ? ours->version : 0};
      ack.requests.push_back(std::move(want));
    }
  }
  std::sort(mentioned.begin(), mentioned.end(), std::less<>());
  mentioned.erase(std::unique(mentioned.begin(), mentioned.end()), mentioned.end());
  if (mentioned.size() == states_.size()) return ack;
  for (const auto& [id, s] : states_) {
    if (!std::binary_search(mentioned.begin(), mentioned.end(), &s, std::less<>()))
      ack.states.push_back(s);
  }
  return ack;
}

AckOutcome MembershipTable::HandleAck(const GossipAckMessage& ack, uint64_t now_micros,
                                      uint64_t wall_seconds) {
  AckOutcome out;
  out.changes = Apply(ack.states, now_micros, wall_seconds);
  for (const GossipDigest& want : ack.requests) {
    const NodeState* ours = Find(want.id);
    if (ours != nullptr &&
        CompareVersions(ours->generation, ours->version, want.generation, want.version) > 0) {
      out.reply.states.push_back(*ours);
    }
  }
  return out;
}

std::vector<StateChange> MembershipTable::HandleAck2(const GossipAck2Message& ack2,
                                                     uint64_t now_micros, uint64_t wall_seconds) {
  return Apply(ack2.states, now_micros, wall_seconds);
}

std::string MembershipTable::Refusal(const NodeState& remote, const NodeState* ours,
                                     uint64_t wall_seconds) const {
  if (remote.generation > wall_seconds + limits_.max_generation_ahead_seconds)
    return fmt::format(
        "generation {} is more than {} s ahead of this node's clock ({}); a generation is a start "
        "time, so this one is forged or from a broken clock",
        remote.generation, limits_.max_generation_ahead_seconds, wall_seconds);
  // Not in this node's cluster: placing keys or counting quorums otherwise, it would split the
  // cluster's data silently. Refused on every update, so a node restarted with other settings
  // is not taken either.
  // Formatted only when they differ: this runs for every state gossip brings.
  const bool same_settings = remote.settings == self().settings && remote.vnodes == self().vnodes;
  if (std::string differs =
          same_settings
              ? std::string()
              : SettingsDifference(self(), remote, "here", fmt::format("on node {}", remote.id));
      !differs.empty())
    return fmt::format(
        "its settings differ from this node's: {}; every node of a cluster must run with the "
        "same --replicas, --read-quorum, --write-quorum and --vnodes (and the same partitioner): "
        "start the node that is wrong with the cluster's values",
        differs);
  // Shown by kvring and logged: a zone with control characters could rewrite a terminal.
  if (!remote.zone.empty())
    if (Status zone = CheckZoneName(remote.zone); !zone.ok())
      return fmt::format("its zone is not valid: {}", zone.message());
  if (ours == nullptr && states_.size() >= limits_.max_members)
    return fmt::format("the membership table holds its limit of {} nodes", limits_.max_members);
  const uint64_t before = ours == nullptr ? 0 : RingVnodes(*ours);
  const uint64_t after = RingVnodes(remote);
  if (after > before && ring_vnodes_ - before + after > limits_.max_ring_vnodes)
    return fmt::format("its {} vnodes would take the ring past its limit of {} vnodes (it has {})",
                       remote.vnodes, limits_.max_ring_vnodes, ring_vnodes_);
  return {};
}

std::vector<StateChange> MembershipTable::Apply(const std::vector<NodeState>& states,
                                                uint64_t now_micros, uint64_t wall_seconds) {
  std::vector<StateChange> changes;
  for (const NodeState& remote : states) {
    if (remote.id == self_id_) {
      NodeState& self = states_.at(self_id_);
      if (!IsNewer(remote, self)) continue;
      // Someone holds a newer state of this node than its own: a forgery, or a previous life
      // when the clock stepped back. Only this node speaks for itself, so it outbids it — within
      // the bound every node applies to generations, or not at all until its clock gets there.
      if (remote.generation + 1 > wall_seconds + limits_.max_generation_ahead_seconds) {
        changes.push_back({self_id_, StateChange::Kind::kRefused, false,
                           fmt::format("a state of this node with generation {} is further "
                                       "ahead of its clock ({}) than it may outbid",
                                       remote.generation, wall_seconds)});
        continue;
      }
      const uint64_t forged = remote.generation;
      self.generation = forged + 1;
      ++self.version;
      changes.push_back({self_id_, StateChange::Kind::kSelfCorrected, false,
                         fmt::format("another node held generation {} of this node, above its "
                                     "own; it takes generation {}",
                                     forged, self.generation)});
      continue;
    }
    auto it = states_.find(remote.id);
    NodeState* ours = it == states_.end() ? nullptr : &it->second;
    if (ours != nullptr && !IsNewer(remote, *ours)) continue;
    if (std::string why = Refusal(remote, ours, wall_seconds); !why.empty()) {
      changes.push_back({remote.id, StateChange::Kind::kRefused, false, std::move(why)});
      continue;
    }
    if (ours == nullptr) {
      ring_vnodes_ += RingVnodes(remote);
      states_.emplace(remote.id, remote);
      detector_.Heartbeat(remote.id, now_micros);
      changes.push_back({remote.id, StateChange::Kind::kNew, true, {}});
      continue;
    }
    StateChange change{remote.id, StateChange::Kind::kUpdated, false, {}};
    if (remote.generation > ours->generation) {
      change.kind = StateChange::Kind::kRestarted;
      // The old life's intervals say nothing about the new one's, and the silence while it was
      // restarting is not a sample.
      detector_.Forget(remote.id);
    }
    change.ring_changed = remote.address != ours->address || remote.status != ours->status ||
                          remote.vnodes != ours->vnodes || remote.zone != ours->zone ||
                          remote.token_kind != ours->token_kind || remote.tokens != ours->tokens;
    ring_vnodes_ = ring_vnodes_ - RingVnodes(*ours) + RingVnodes(remote);
    *ours = remote;
    if (ours->status == NodeStatus::kLeft) {
      detector_.Forget(remote.id);
    } else {
      detector_.Heartbeat(remote.id, now_micros);
    }
    changes.push_back(std::move(change));
  }
  return changes;
}

std::string MembershipTable::EncodeFile() const {
  std::string body;
  body.push_back(static_cast<char>(kGossipFormatVersion));
  std::vector<NodeState> all;
  all.reserve(states_.size());
  for (const auto& [id, s] : states_) all.push_back(s);
  AppendNodeStates(&body, all);
  std::string out;
  PutFixed32(&out, MaskCrc(Crc32c(body)));
  out += body;
  return out;
}

Result<std::vector<NodeState>> MembershipTable::DecodeFile(std::string_view bytes) {
  uint32_t masked = 0;
  if (!GetFixed32(&bytes, &masked)) return Status::Corruption("membership file: truncated header");
  if (UnmaskCrc(masked) != Crc32c(bytes)) {
    return Status::Corruption("membership file: checksum mismatch");
  }
  const uint8_t version = bytes.empty() ? 0 : static_cast<uint8_t>(bytes[0]);
  if (version < kOldestGossipFormatVersion || version > kGossipFormatVersion) {
    return Status::Corruption("membership file: unknown format version");
  }
  bytes.remove_prefix(1);
  KV_ASSIGN_OR_RETURN(std::vector<NodeState> states, ConsumeNodeStates(&bytes, version));
  if (!bytes.empty()) return Status::Corruption("membership file: trailing bytes");
  return states;
}

std::vector<StateChange> MembershipTable::Restore(const std::vector<NodeState>& states,
                                                  uint64_t wall_seconds) {
  std::vector<StateChange> refused;
  for (const NodeState& s : states) {
    if (s.id == self_id_) continue;
    auto it = states_.find(s.id);
    NodeState* ours = it == states_.end() ? nullptr : &it->second;
    if (ours != nullptr && !IsNewer(s, *ours)) continue;
    if (std::string why = Refusal(s, ours, wall_seconds); !why.empty()) {
      refused.push_back({s.id, StateChange::Kind::kRefused, false, std::move(why)});
      continue;
    }
    if (ours == nullptr) {
      ring_vnodes_ += RingVnodes(s);
      states_.emplace(s.id, s);
    } else {
      ring_vnodes_ = ring_vnodes_ - RingVnodes(*ours) + RingVnodes(s);
      *ours = s;
    }
  }
  return refused;
}

}  // namespace kv
