// The three messages of a gossip exchange (Cassandra's): the initiator sends a SYN with a digest of
// every state it knows; the receiver answers an ACK with the states the initiator lacks and the
// digests of those it wants; the initiator closes with an ACK2 carrying them. Plain values and
// pure encode/decode (docs/formats.md, "Gossip"); any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/membership/node_state.h"

namespace kv {

struct GossipSynMessage {
  std::string from;  // the sender's id
  std::vector<GossipDigest> digests;

  friend bool operator==(const GossipSynMessage&, const GossipSynMessage&) = default;
};

struct GossipAckMessage {
  std::vector<NodeState> states;  // newer than what the SYN's sender has, or unknown to it
  // States the receiver wants: send each if yours is newer than (generation, version). A digest
  // with generation 0 asks for a node it has never heard of.
  std::vector<GossipDigest> requests;

  friend bool operator==(const GossipAckMessage&, const GossipAckMessage&) = default;
};

struct GossipAck2Message {
  std::vector<NodeState> states;

  friend bool operator==(const GossipAck2Message&, const GossipAck2Message&) = default;
};

std::string EncodeGossipSyn(const GossipSynMessage& m);
std::string EncodeGossipAck(const GossipAckMessage& m);
std::string EncodeGossipAck2(const GossipAck2Message& m);

// Corruption on anything malformed (wrong version or kind, truncation, a count the bytes cannot
// hold, a bad field, trailing bytes); never crashes, never allocates past what the input justifies.
Result<GossipSynMessage> DecodeGossipSyn(std::string_view bytes);
Result<GossipAckMessage> DecodeGossipAck(std::string_view bytes);
Result<GossipAck2Message> DecodeGossipAck2(std::string_view bytes);

// A count of node states followed by the states: shared by ACK, ACK2 and the membership file.
void AppendNodeStates(std::string* dst, const std::vector<NodeState>& states);
Result<std::vector<NodeState>> ConsumeNodeStates(std::string_view* in, uint8_t format_version);

}  // namespace kv
