#include "libkv/net/frame.h"

#include <fmt/format.h>

#include <cassert>

#include "libkv/base/coding.h"

namespace kv {

namespace wire {

bool IsKnownMessageType(uint8_t type) {
  return (type >= static_cast<uint8_t>(MessageType::kHandshakeOk) &&
          type <= static_cast<uint8_t>(MessageType::kRepairStatusResponse)) ||
         (type >= static_cast<uint8_t>(MessageType::kReplicaWriteBatchRequest) &&
          type <= static_cast<uint8_t>(MessageType::kReplicaWriteBatchResponse));
}

std::string_view MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHandshakeOk:
      return "HandshakeOk";
    case MessageType::kError:
      return "Error";
    case MessageType::kGetRequest:
      return "GetRequest";
    case MessageType::kGetResponse:
      return "GetResponse";
    case MessageType::kPutRequest:
      return "PutRequest";
    case MessageType::kPutResponse:
      return "PutResponse";
    case MessageType::kDeleteRequest:
      return "DeleteRequest";
    case MessageType::kDeleteResponse:
      return "DeleteResponse";
    case MessageType::kReplicaReadRequest:
      return "ReplicaReadRequest";
    case MessageType::kReplicaReadResponse:
      return "ReplicaReadResponse";
    case MessageType::kReplicaWriteRequest:
      return "ReplicaWriteRequest";
    case MessageType::kReplicaWriteResponse:
      return "ReplicaWriteResponse";
    case MessageType::kGossipSyn:
      return "GossipSyn";
    case MessageType::kGossipAck:
      return "GossipAck";
    case MessageType::kGossipAck2:
      return "GossipAck2";
    case MessageType::kGossipDone:
      return "GossipDone";
    case MessageType::kRingRequest:
      return "RingRequest";
    case MessageType::kRingResponse:
      return "RingResponse";
    case MessageType::kMerkleLevelRequest:
      return "MerkleLevelRequest";
    case MessageType::kMerkleLevelResponse:
      return "MerkleLevelResponse";
    case MessageType::kLeafKeysRequest:
      return "LeafKeysRequest";
    case MessageType::kLeafKeysResponse:
      return "LeafKeysResponse";
    case MessageType::kRepairRequest:
      return "RepairRequest";
    case MessageType::kRepairResponse:
      return "RepairResponse";
    case MessageType::kLeaveRequest:
      return "LeaveRequest";
    case MessageType::kLeaveResponse:
      return "LeaveResponse";
    case MessageType::kStatsRequest:
      return "StatsRequest";
    case MessageType::kStatsResponse:
      return "StatsResponse";
    case MessageType::kCleanupRequest:
      return "CleanupRequest";
    case MessageType::kReplicaWriteBatchRequest:
      return "ReplicaWriteBatchRequest";
    case MessageType::kReplicaWriteBatchResponse:
      return "ReplicaWriteBatchResponse";
    case MessageType::kCleanupResponse:
      return "CleanupResponse";
    case MessageType::kRemoveRequest:
      return "RemoveRequest";
    case MessageType::kRemoveResponse:
      return "RemoveResponse";
    case MessageType::kMetricsRequest:
      return "MetricsRequest";
    case MessageType::kMetricsResponse:
      return "MetricsResponse";
    case MessageType::kRepairStatusRequest:
      return "RepairStatusRequest";
    case MessageType::kRepairStatusResponse:
      return "RepairStatusResponse";
  }
  return "unknown";
}

}  // namespace wire

void AppendFrame(std::string* dst, wire::MessageType type, uint64_t request_id,
                 std::string_view body) {
  assert(body.size() + wire::kMinFrameLength <= wire::kMaxFrameLength);
  PutFixed32(dst, static_cast<uint32_t>(body.size() + wire::kMinFrameLength));
  dst->push_back(static_cast<char>(type));
  PutFixed64(dst, request_id);
  dst->append(body);
}

std::string EncodeFrame(wire::MessageType type, uint64_t request_id, std::string_view body) {
  std::string out;
  out.reserve(wire::kFrameHeaderBytes + body.size());
  AppendFrame(&out, type, request_id, body);
  return out;
}

Result<FrameHeader> DecodeFrameHeader(std::string_view header, size_t max_length) {
  assert(header.size() == wire::kFrameHeaderBytes);
  const uint32_t length = DecodeFixed32(header.data());
  if (length < wire::kMinFrameLength)
    return Status::Protocol(fmt::format("frame length {} is below the minimum of {} bytes", length,
                                        wire::kMinFrameLength));
  if (length > max_length)
    return Status::Protocol(
        fmt::format("frame length {} bytes exceeds the limit of {} bytes", length, max_length));
  const auto type = static_cast<uint8_t>(header[wire::kLengthBytes]);
  if (!wire::IsKnownMessageType(type))
    return Status::Protocol(fmt::format("unknown message type {}", type));
  FrameHeader out;
  out.type = static_cast<wire::MessageType>(type);
  out.request_id = DecodeFixed64(header.data() + wire::kLengthBytes + 1);
  out.body_bytes = length - static_cast<uint32_t>(wire::kMinFrameLength);
  return out;
}

Result<std::optional<Frame>> DecodeFrame(std::string_view* in, size_t max_length) {
  if (in->size() < wire::kFrameHeaderBytes) return std::optional<Frame>();
  KV_ASSIGN_OR_RETURN(FrameHeader header,
                      DecodeFrameHeader(in->substr(0, wire::kFrameHeaderBytes), max_length));
  if (in->size() - wire::kFrameHeaderBytes < header.body_bytes) return std::optional<Frame>();
  Frame frame;
  frame.type = header.type;
  frame.request_id = header.request_id;
  frame.body.assign(in->substr(wire::kFrameHeaderBytes, header.body_bytes));
  in->remove_prefix(wire::kFrameHeaderBytes + header.body_bytes);
  return std::optional<Frame>(std::move(frame));
}

}  // namespace kv
