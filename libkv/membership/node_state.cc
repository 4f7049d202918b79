#include "libkv/membership/node_state.h"

#include <algorithm>

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
}

Result<NodeState> ConsumeNodeState(std::string_view* in) {
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
