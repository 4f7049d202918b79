#include "libkv/membership/membership.h"

#include <algorithm>
#include <set>

#include "libkv/base/checksum.h"
#include "libkv/base/coding.h"
#include "libkv/membership/membership_format.h"

namespace kv {

MembershipTable::MembershipTable(NodeState self, PhiAccrualOptions detector_options)
    : self_id_(self.id), detector_(detector_options) {
  states_.emplace(self.id, std::move(self));
}

const NodeState* MembershipTable::Find(std::string_view id) const {
  auto it = states_.find(id);
  return it == states_.end() ? nullptr : &it->second;
}

void MembershipTable::BeatHeartbeat() {
  ++states_.at(self_id_).version;
}

void MembershipTable::SetStatus(NodeStatus status) {
  NodeState& s = states_.at(self_id_);
  s.status = status;
  ++s.version;
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
  std::vector<std::string> live = LivePeers(now_micros);
  std::vector<std::string> unreachable = UnreachablePeers(now_micros);

  bool gossiped_to_seed = false;
  if (!live.empty()) {
    const std::string& address = states_.at(PickOne(live, rng)).address;
    gossiped_to_seed = std::find(seeds.begin(), seeds.end(), address) != seeds.end();
    add(address);
  }
  if (!unreachable.empty() &&
      Chance(static_cast<double>(unreachable.size()) / static_cast<double>(live.size() + 1), rng)) {
    add(states_.at(PickOne(unreachable, rng)).address);
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
  std::set<std::string_view> mentioned;
  for (const GossipDigest& d : syn.digests) {
    mentioned.insert(d.id);
    const NodeState* ours = Find(d.id);
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
  for (const auto& [id, s] : states_) {
    if (!mentioned.contains(id)) ack.states.push_back(s);
  }
  return ack;
}

AckOutcome MembershipTable::HandleAck(const GossipAckMessage& ack, uint64_t now_micros) {
  AckOutcome out;
  out.changes = Apply(ack.states, now_micros);
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
                                                     uint64_t now_micros) {
  return Apply(ack2.states, now_micros);
}

std::vector<StateChange> MembershipTable::Apply(const std::vector<NodeState>& states,
                                                uint64_t now_micros) {
  std::vector<StateChange> changes;
  for (const NodeState& remote : states) {
    if (remote.id == self_id_) continue;
    auto it = states_.find(remote.id);
    if (it == states_.end()) {
      states_.emplace(remote.id, remote);
      detector_.Heartbeat(remote.id, now_micros);
      changes.push_back({remote.id, StateChange::Kind::kNew, true});
      continue;
    }
    NodeState& ours = it->second;
    if (!IsNewer(remote, ours)) continue;
    StateChange change{remote.id, StateChange::Kind::kUpdated, false};
    if (remote.generation > ours.generation) {
      change.kind = StateChange::Kind::kRestarted;
      // The old life's intervals say nothing about the new one's, and the silence while it was
      // restarting is not a sample.
      detector_.Forget(remote.id);
    }
    change.ring_changed = remote.address != ours.address || remote.status != ours.status ||
                          remote.vnodes != ours.vnodes;
    ours = remote;
    if (ours.status == NodeStatus::kLeft) {
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
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kGossipFormatVersion) {
    return Status::Corruption("membership file: unknown format version");
  }
  bytes.remove_prefix(1);
  KV_ASSIGN_OR_RETURN(std::vector<NodeState> states, ConsumeNodeStates(&bytes));
  if (!bytes.empty()) return Status::Corruption("membership file: trailing bytes");
  return states;
}

void MembershipTable::Restore(const std::vector<NodeState>& states) {
  for (const NodeState& s : states) {
    if (s.id == self_id_) continue;
    auto it = states_.find(s.id);
    if (it == states_.end()) {
      states_.emplace(s.id, s);
    } else if (IsNewer(s, it->second)) {
      it->second = s;
    }
  }
}

}  // namespace kv
