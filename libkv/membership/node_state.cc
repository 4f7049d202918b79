#include "libkv/membership/node_state.h"

#include <algorithm>

#include <fmt/format.h>

#include "libkv/base/coding.h"
#include "libkv/membership/membership_format.h"

namespace kv {

std::string_view NodeStatusName(NodeStatus status) {
  switch (status) {
    case NodeStatus::kJoining:
      return "joining";
    case NodeStatus::kNormal:
      return "normal";
    case NodeStatus::kLeaving:
      return "leaving";
    case NodeStatus::kLeft:
      return "left";
  }
  return "unknown";
}

GossipDigest DigestOf(const NodeState& state) {
  return GossipDigest{state.id, state.generation, state.version};
}

int CompareVersions(uint64_t a_generation, uint64_t a_version, uint64_t b_generation,
                    uint64_t b_version) {
  if (a_generation != b_generation) return a_generation < b_generation ? -1 : 1;
  if (a_version != b_version) return a_version < b_version ? -1 : 1;
  return 0;
}

uint64_t NextGeneration(uint64_t now_seconds, std::optional<uint64_t> persisted_generation) {
  if (!persisted_generation) return now_seconds;
  return std::max(now_seconds, *persisted_generation + 1);
}

Status CheckZoneName(std::string_view zone) {
  if (zone.empty()) return Status::InvalidArgument("the zone is empty; name one, e.g. rack-1");
  if (zone.size() > kMaxZoneBytes)
    return Status::InvalidArgument(
        fmt::format("the zone is {} bytes; it must be at most {}", zone.size(), kMaxZoneBytes));
  for (char c : zone)
    if (c <= ' ' || c > '~')
      return Status::InvalidArgument(
          "the zone may hold only printable ASCII characters without spaces (e.g. eu-west-1a)");
  return Status::Ok();
}

std::string SettingsDifference(const NodeState& ours, const NodeState& theirs,
                               std::string_view ours_name, std::string_view theirs_name) {
  const ClusterSettings& a = ours.settings;
  const ClusterSettings& b = theirs.settings;
  if (!a.stated() || !b.stated()) return {};
  auto differs = [&](std::string_view what, uint64_t here, uint64_t there) {
    return fmt::format("{} is {} {} and {} {}", what, here, ours_name, there, theirs_name);
  };
  if (a.replicas != b.replicas) return differs("N (--replicas)", a.replicas, b.replicas);
  if (a.read_quorum != b.read_quorum)
    return differs("R (--read-quorum)", a.read_quorum, b.read_quorum);
  if (a.write_quorum != b.write_quorum)
    return differs("W (--write-quorum)", a.write_quorum, b.write_quorum);
  if (ours.vnodes != theirs.vnodes) return differs("vnodes (--vnodes)", ours.vnodes, theirs.vnodes);
  if (a.partitioner != b.partitioner)
    return differs("the partitioner (the build's key hash)", a.partitioner, b.partitioner);
  return {};
}

namespace {

Result<std::string_view> ConsumeId(std::string_view* in) {
  std::string_view id;
  if (!GetLengthPrefixed(in, &id)) return Status::Corruption("gossip: truncated node id");
  if (id.empty() || id.size() > kMaxNodeIdBytes) {
    return Status::Corruption("gossip: node id of " + std::to_string(id.size()) +
                              " bytes (1 to 255 allowed)");
  }
  return id;
}

}  // namespace

void AppendNodeState(std::string* dst, const NodeState& state) {
  PutLengthPrefixed(dst, state.id);
  PutLengthPrefixed(dst, state.address);
  PutVarint64(dst, state.generation);
  PutVarint64(dst, state.version);
  dst->push_back(static_cast<char>(state.status));
  PutVarint32(dst, state.vnodes);
  PutFixed64(dst, state.clock_id);
  PutVarint32(dst, state.settings.replicas);
  PutVarint32(dst, state.settings.read_quorum);
  PutVarint32(dst, state.settings.write_quorum);
  dst->push_back(static_cast<char>(state.settings.partitioner));
  PutLengthPrefixed(dst, state.zone);
  PutVarint64(dst, state.load.disk_bytes);
  PutVarint64(dst, state.load.keys);
  dst->push_back(static_cast<char>(state.token_kind));
  if (state.token_kind != TokenKind::kChosen) return;
  PutVarint32(dst, static_cast<uint32_t>(state.tokens.size()));
  for (uint64_t t : state.tokens) PutFixed64(dst, t);
}

Result<NodeState> ConsumeNodeState(std::string_view* in, uint8_t format_version) {
  NodeState s;
  KV_ASSIGN_OR_RETURN(std::string_view id, ConsumeId(in));
  s.id = id;
  std::string_view address;
  if (!GetLengthPrefixed(in, &address)) {
    return Status::Corruption("gossip: truncated address of node " + s.id);
  }
  if (address.size() > kMaxNodeAddressBytes) {
    return Status::Corruption("gossip: address of node " + s.id + " too long");
  }
  s.address = address;
  if (!GetVarint64(in, &s.generation) || !GetVarint64(in, &s.version) || in->empty()) {
    return Status::Corruption("gossip: truncated state of node " + s.id);
  }
  uint8_t status = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (status > static_cast<uint8_t>(NodeStatus::kLeft)) {
    return Status::Corruption("gossip: unknown status " + std::to_string(status) + " of node " +
                              s.id);
  }
  s.status = static_cast<NodeStatus>(status);
  if (!GetVarint32(in, &s.vnodes) || !GetFixed64(in, &s.clock_id)) {
    return Status::Corruption("gossip: truncated state of node " + s.id);
  }
  if (s.vnodes > kMaxNodeVnodes) {
    return Status::Corruption("gossip: node " + s.id + " claims " + std::to_string(s.vnodes) +
                              " vnodes (at most 4096)");
  }
  if (format_version < 2) return s;  // no settings: not stated
  ClusterSettings& c = s.settings;
  if (!GetVarint32(in, &c.replicas) || !GetVarint32(in, &c.read_quorum) ||
      !GetVarint32(in, &c.write_quorum) || in->empty()) {
    return Status::Corruption("gossip: truncated settings of node " + s.id);
  }
  c.partitioner = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (format_version < 3) return s;  // no zone, no load
  std::string_view zone;
  if (!GetLengthPrefixed(in, &zone) || !GetVarint64(in, &s.load.disk_bytes) ||
      !GetVarint64(in, &s.load.keys)) {
    return Status::Corruption("gossip: truncated zone or load of node " + s.id);
  }
  if (zone.size() > kMaxZoneBytes) {
    return Status::Corruption("gossip: zone of node " + s.id + " longer than " +
                              std::to_string(kMaxZoneBytes) + " bytes");
  }
  s.zone = zone;
  if (format_version < 4) return s;  // hashed tokens
  if (in->empty()) return Status::Corruption("gossip: truncated token kind of node " + s.id);
  const auto kind = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (kind > static_cast<uint8_t>(TokenKind::kPending))
    return Status::Corruption("gossip: unknown token kind " + std::to_string(kind) + " of node " +
                              s.id);
  s.token_kind = static_cast<TokenKind>(kind);
  if (s.token_kind != TokenKind::kChosen) return s;
  uint32_t count = 0;
  if (!GetVarint32(in, &count))
    return Status::Corruption("gossip: truncated tokens of node " + s.id);
  // Checked before reserving: exactly one token per vnode, and the bytes to hold them.
  if (count != s.vnodes || count > in->size() / 8)
    return Status::Corruption("gossip: node " + s.id + " states " + std::to_string(count) +
                              " tokens for " + std::to_string(s.vnodes) + " vnodes");
  s.tokens.resize(count);
  for (uint64_t& t : s.tokens)
    if (!GetFixed64(in, &t)) return Status::Corruption("gossip: truncated tokens of node " + s.id);
  return s;
}

void AppendDigest(std::string* dst, const GossipDigest& digest) {
  PutLengthPrefixed(dst, digest.id);
  PutVarint64(dst, digest.generation);
  PutVarint64(dst, digest.version);
}

Result<GossipDigest> ConsumeDigest(std::string_view* in) {
  GossipDigest d;
  KV_ASSIGN_OR_RETURN(std::string_view id, ConsumeId(in));
  d.id = id;
  if (!GetVarint64(in, &d.generation) || !GetVarint64(in, &d.version)) {
    return Status::Corruption("gossip: truncated digest of node " + d.id);
  }
  return d;
}

}  // namespace kv
