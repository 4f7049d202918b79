// The client calls' request frames and answers, shared by Client and AsyncClient: a request is
// checked before it is encoded (InvalidArgument: nothing may be sent), and an answer's message
// type is checked against the request's before its body is decoded (Protocol otherwise). An
// Error answer never gets here: the callers turn it into its Status first. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/client/get_result.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/frame.h"

namespace kv {

Result<std::string> EncodeGetCall(GetRequest request, uint64_t request_id);
Result<std::string> EncodePutCall(PutRequest request, uint64_t request_id);
Result<std::string> EncodeDeleteCall(DeleteRequest request, uint64_t request_id);
Result<std::string> EncodeRingCall(RingRequest request, uint64_t request_id);

Result<GetResult> DecodeGetAnswer(const Frame& answer);
Status DecodePutAnswer(const Frame& answer);
Status DecodeDeleteAnswer(const Frame& answer);
Result<RingResponse> DecodeRingAnswer(const Frame& answer);
Result<RepairResponse> DecodeRepairAnswer(const Frame& answer);
Result<LeaveResponse> DecodeLeaveAnswer(const Frame& answer);
Result<StatsResponse> DecodeStatsAnswer(const Frame& answer);
Result<CleanupResponse> DecodeCleanupAnswer(const Frame& answer);
Result<RepairStatusResponse> DecodeRepairStatusAnswer(const Frame& answer);
Result<RemoveResponse> DecodeRemoveAnswer(const Frame& answer);
Result<MetricsResponse> DecodeMetricsAnswer(const Frame& answer);

}  // namespace kv
