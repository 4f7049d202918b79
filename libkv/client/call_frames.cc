#include "libkv/client/call_frames.h"

#include <fmt/format.h>

#include <utility>

#include "libkv/base/limits.h"
#include "libkv/client/client.h"

namespace kv {

namespace {

Status CheckAnswerType(const Frame& answer, wire::MessageType want, std::string_view call) {
  if (answer.type == want) return Status::Ok();
  return Status::Protocol(
      fmt::format("a {} was answered with a {} message", call, wire::MessageTypeName(answer.type)));
}

}  // namespace

Result<std::string> EncodeGetCall(GetRequest request, uint64_t request_id) {
  KV_RETURN_IF_ERROR(CheckKey(request.key));
  return EncodeMessageFrame(request, request_id);
}

Result<std::string> EncodePutCall(PutRequest request, uint64_t request_id) {
  KV_RETURN_IF_ERROR(CheckKeyAndValue(request.key, request.value));
  KV_RETURN_IF_ERROR(CheckContextToken(request.context));
  return EncodeMessageFrame(request, request_id);
}

Result<std::string> EncodeDeleteCall(DeleteRequest request, uint64_t request_id) {
  KV_RETURN_IF_ERROR(CheckKey(request.key));
  KV_RETURN_IF_ERROR(CheckContextToken(request.context));
  return EncodeMessageFrame(request, request_id);
}

Result<std::string> EncodeRingCall(RingRequest request, uint64_t request_id) {
  if (!request.key.empty()) KV_RETURN_IF_ERROR(CheckKey(request.key));
  return EncodeMessageFrame(request, request_id);
}

Result<GetResult> DecodeGetAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(CheckAnswerType(answer, wire::MessageType::kGetResponse, "get"));
  KV_ASSIGN_OR_RETURN(GetResponse response, DecodeMessage<GetResponse>(answer.body));
  return GetResultFromResponse(std::move(response));
}

Status DecodePutAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(CheckAnswerType(answer, wire::MessageType::kPutResponse, "put"));
  return DecodeMessage<PutResponse>(answer.body).status();
}

Status DecodeDeleteAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(CheckAnswerType(answer, wire::MessageType::kDeleteResponse, "delete"));
  return DecodeMessage<DeleteResponse>(answer.body).status();
}

Result<RepairResponse> DecodeRepairAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(CheckAnswerType(answer, wire::MessageType::kRepairResponse, "repair"));
  return DecodeMessage<RepairResponse>(answer.body);
}

Result<LeaveResponse> DecodeLeaveAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(CheckAnswerType(answer, wire::MessageType::kLeaveResponse, "leave request"));
  return DecodeMessage<LeaveResponse>(answer.body);
}

Result<StatsResponse> DecodeStatsAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(CheckAnswerType(answer, wire::MessageType::kStatsResponse, "stats request"));
  return DecodeMessage<StatsResponse>(answer.body);
}

Result<MetricsResponse> DecodeMetricsAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(
      CheckAnswerType(answer, wire::MessageType::kMetricsResponse, "metrics request"));
  return DecodeMessage<MetricsResponse>(answer.body);
}

Result<RepairStatusResponse> DecodeRepairStatusAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(
      CheckAnswerType(answer, wire::MessageType::kRepairStatusResponse, "repair status request"));
  return DecodeMessage<RepairStatusResponse>(answer.body);
}

Result<CleanupResponse> DecodeCleanupAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(
      CheckAnswerType(answer, wire::MessageType::kCleanupResponse, "cleanup request"));
  return DecodeMessage<CleanupResponse>(answer.body);
}

Result<RingResponse> DecodeRingAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(CheckAnswerType(answer, wire::MessageType::kRingResponse, "ring request"));
  return DecodeMessage<RingResponse>(answer.body);
}

Result<RemoveResponse> DecodeRemoveAnswer(const Frame& answer) {
  KV_RETURN_IF_ERROR(CheckAnswerType(answer, wire::MessageType::kRemoveResponse, "remove request"));
  return DecodeMessage<RemoveResponse>(answer.body);
}

}  // namespace kv
