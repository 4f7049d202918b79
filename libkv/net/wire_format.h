// Constants of the kv wire protocol. The grammar is docs/formats.md, section "Wire protocol";
// change both together. Everything here is fixed for protocol version 2 (the cluster's: contexts,
// sibling sets, quorums, node-to-node messages): a new message type or a new field is a new
// version (see that section, "Evolving the protocol").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "libkv/base/limits.h"

namespace kv::wire {

// The client's first bytes on every connection. A server that reads anything else closes the
// connection without a reply (it is not talking to a kv client).
inline constexpr std::string_view kMagic = "kvNP";
inline constexpr uint32_t kProtocolVersion = 2;
// Handshake: magic (4) | version fixed32 | cluster-name length (1 byte, 1..255) | cluster name.
inline constexpr size_t kHandshakeFixedBytes = 4 + 4 + 1;
inline constexpr size_t kMaxClusterNameBytes = 255;

// Frame: length fixed32 | type u8 | request id fixed64 | body. `length` counts type, request id
// and body (every byte after the length field).
inline constexpr size_t kLengthBytes = 4;
inline constexpr size_t kFrameHeaderBytes = kLengthBytes + 1 + 8;  // 13
inline constexpr size_t kMinFrameLength = 1 + 8;                   // an empty body
// The largest frame either side accepts: a largest stored value (a sibling set: a 16 MiB value
// and its clocks, 17 MiB), a 64 KiB key and 64 KiB for the header and Cereal's size tags and
// whatever later versions add. Checked before allocating anything.
inline constexpr size_t kMaxFrameLength = kMaxStoredValueBytes + kMaxKeyBytes + 64 * 1024;
// The server's answer to a handshake is small; a client refuses a bigger one.
inline constexpr size_t kMaxHandshakeReplyLength = 64 * 1024;

enum class MessageType : uint8_t {
  kHandshakeOk = 1,  // server -> client, request id 0
  kError = 2,        // server -> client: answers a request (its id) or the connection (id 0)
  kGetRequest = 3,
  kGetResponse = 4,
  kPutRequest = 5,
  kPutResponse = 6,
  kDeleteRequest = 7,
  kDeleteResponse = 8,
  // Node to node (protocol 2): a coordinator and its replicas, gossip.
  kReplicaReadRequest = 9,
  kReplicaReadResponse = 10,
  kReplicaWriteRequest = 11,
  kReplicaWriteResponse = 12,
  kGossipSyn = 13,  // answered by kGossipAck
  kGossipAck = 14,
  kGossipAck2 = 15,  // answered by kGossipDone
  kGossipDone = 16,
  // Client to node (protocol 2): the ring as this node sees it (kvring).
  kRingRequest = 17,
  kRingResponse = 18,
  // Anti-entropy (docs/formats.md, "Merkle tree"): node to node, then client to node (kvrepair).
  kMerkleLevelRequest = 19,
  kMerkleLevelResponse = 20,
  kLeafKeysRequest = 21,
  kLeafKeysResponse = 22,
  kRepairRequest = 23,
  kRepairResponse = 24,
  // Client to node: leave the cluster (kvring leave), or how the leave goes.
  kLeaveRequest = 25,
  kLeaveResponse = 26,
  // Client to node: the node's live figures (kvring stats).
  kStatsRequest = 27,
  kStatsResponse = 28,
  // Client to node: remove the keys the node no longer replicates (kvring cleanup).
  kCleanupRequest = 29,
  kCleanupResponse = 30,
  // Client to node: take a dead node out of the ring (kvring remove).
  kRemoveRequest = 31,
  kRemoveResponse = 32,
  // Client to node: the node's metrics in Prometheus text (kvring metrics; docs/metrics.md).
  kMetricsRequest = 33,
  kMetricsResponse = 34,
  // Client to node: each range's last complete repair and whether tombstones may be purged there
  // (kvrepair --status).
  kRepairStatusRequest = 35,
  kRepairStatusResponse = 36,
  // Node to node: several replica writes to one replica in one frame, each answered with its own
  // outcome (a coordinator under load). Numbered apart from the rest, which grow from 37.
  kReplicaWriteBatchRequest = 40,
  kReplicaWriteBatchResponse = 41,
};

// Whether a byte is one of the MessageType values above.
bool IsKnownMessageType(uint8_t type);
std::string_view MessageTypeName(MessageType type);

// Error codes on the wire. Stable numbers, independent of kv::ErrorCode's order.
enum class WireErrorCode : uint8_t {
  kNotFound = 1,
  kInvalidArgument = 2,
  kCorruption = 3,
  kIOError = 4,
  kUnavailable = 5,
  kTimeout = 6,
  kProtocol = 7,
  kMaybeApplied = 8,
  kPermissionDenied = 9,
};

}  // namespace kv::wire
