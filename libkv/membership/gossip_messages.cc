#include "libkv/membership/gossip_messages.h"

#include "libkv/base/coding.h"
#include "libkv/membership/membership_format.h"

namespace kv {

namespace {

void AppendHeader(std::string* dst, uint8_t kind) {
  dst->push_back(static_cast<char>(kGossipFormatVersion));
  dst->push_back(static_cast<char>(kind));
}

// The message's format version, for its node states.
Result<uint8_t> ConsumeHeader(std::string_view* in, uint8_t kind) {
  if (in->size() < 2) return Status::Corruption("gossip: truncated message header");
  uint8_t version = static_cast<uint8_t>((*in)[0]);
  uint8_t got = static_cast<uint8_t>((*in)[1]);
  in->remove_prefix(2);
  if (version < kOldestGossipFormatVersion || version > kGossipFormatVersion) {
    return Status::Corruption("gossip: format version " + std::to_string(version) +
                              ", this build reads " + std::to_string(kOldestGossipFormatVersion) +
                              " to " + std::to_string(kGossipFormatVersion));
  }
  if (got != kind) {
    return Status::Corruption("gossip: message kind " + std::to_string(got) + ", expected " +
                              std::to_string(kind));
  }
  return version;
}

// Reads a count and checks that the remaining bytes can hold that many items of at least
// `min_bytes` each, before anyone reserves memory for them.
Result<uint32_t> ConsumeCount(std::string_view* in, size_t min_bytes) {
  uint32_t n = 0;
  if (!GetVarint32(in, &n)) return Status::Corruption("gossip: truncated count");
  if (n > kMaxGossipNodes || n > in->size() / min_bytes) {
    return Status::Corruption("gossip: count " + std::to_string(n) + " exceeds what " +
                              std::to_string(in->size()) + " remaining bytes can hold");
  }
  return n;
}

void AppendDigests(std::string* dst, const std::vector<GossipDigest>& digests) {
  PutVarint32(dst, static_cast<uint32_t>(digests.size()));
  for (const GossipDigest& d : digests) AppendDigest(dst, d);
}

Result<std::vector<GossipDigest>> ConsumeDigests(std::string_view* in) {
  KV_ASSIGN_OR_RETURN(uint32_t n, ConsumeCount(in, kMinDigestBytes));
  std::vector<GossipDigest> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    KV_ASSIGN_OR_RETURN(GossipDigest d, ConsumeDigest(in));
    out.push_back(std::move(d));
  }
  return out;
}

Status ExpectEnd(std::string_view in) {
  if (!in.empty()) {
    return Status::Corruption("gossip: " + std::to_string(in.size()) + " trailing bytes");
  }
  return Status::Ok();
}

}  // namespace

void AppendNodeStates(std::string* dst, const std::vector<NodeState>& states) {
  PutVarint32(dst, static_cast<uint32_t>(states.size()));
  for (const NodeState& s : states) AppendNodeState(dst, s);
}

Result<std::vector<NodeState>> ConsumeNodeStates(std::string_view* in, uint8_t format_version) {
  KV_ASSIGN_OR_RETURN(uint32_t n, ConsumeCount(in, kMinNodeStateBytes));
  std::vector<NodeState> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    KV_ASSIGN_OR_RETURN(NodeState s, ConsumeNodeState(in, format_version));
    out.push_back(std::move(s));
  }
  return out;
}

std::string EncodeGossipSyn(const GossipSynMessage& m) {
  std::string out;
  AppendHeader(&out, kGossipSyn);
  PutLengthPrefixed(&out, m.from);
  AppendDigests(&out, m.digests);
  return out;
}

std::string EncodeGossipAck(const GossipAckMessage& m) {
  std::string out;
  AppendHeader(&out, kGossipAck);
  AppendNodeStates(&out, m.states);
  AppendDigests(&out, m.requests);
  return out;
}

std::string EncodeGossipAck2(const GossipAck2Message& m) {
  std::string out;
  AppendHeader(&out, kGossipAck2);
  AppendNodeStates(&out, m.states);
  return out;
}

Result<GossipSynMessage> DecodeGossipSyn(std::string_view in) {
  KV_RETURN_IF_ERROR(ConsumeHeader(&in, kGossipSyn).status());
  GossipSynMessage m;
  std::string_view from;
  if (!GetLengthPrefixed(&in, &from) || from.empty() || from.size() > kMaxNodeIdBytes) {
    return Status::Corruption("gossip: bad sender id in SYN");
  }
  m.from = from;
  KV_ASSIGN_OR_RETURN(m.digests, ConsumeDigests(&in));
  KV_RETURN_IF_ERROR(ExpectEnd(in));
  return m;
}

Result<GossipAckMessage> DecodeGossipAck(std::string_view in) {
  KV_ASSIGN_OR_RETURN(const uint8_t version, ConsumeHeader(&in, kGossipAck));
  GossipAckMessage m;
  KV_ASSIGN_OR_RETURN(m.states, ConsumeNodeStates(&in, version));
  KV_ASSIGN_OR_RETURN(m.requests, ConsumeDigests(&in));
  KV_RETURN_IF_ERROR(ExpectEnd(in));
  return m;
}

Result<GossipAck2Message> DecodeGossipAck2(std::string_view in) {
  KV_ASSIGN_OR_RETURN(const uint8_t version, ConsumeHeader(&in, kGossipAck2));
  GossipAck2Message m;
  KV_ASSIGN_OR_RETURN(m.states, ConsumeNodeStates(&in, version));
  KV_RETURN_IF_ERROR(ExpectEnd(in));
  return m;
}

}  // namespace kv
