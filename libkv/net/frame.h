// Frame codec of the wire protocol (docs/formats.md, "Wire protocol"; constants in wire_format.h):
// length fixed32 | type u8 | request id fixed64 | body. The header is decoded and checked on its
// own, before any buffer for the body exists, so a peer that declares a 4 GiB frame costs nothing
// but the 13 header bytes. Pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/wire_format.h"

namespace kv {

struct FrameHeader {
  wire::MessageType type = wire::MessageType::kError;
  uint64_t request_id = 0;
  uint32_t body_bytes = 0;
};

struct Frame {
  wire::MessageType type = wire::MessageType::kError;
  uint64_t request_id = 0;
  std::string body;
};

// Appends one whole frame to *dst. REQUIRES: body.size() + 9 <= wire::kMaxFrameLength (callers
// check user data against the key and value limits first).
void AppendFrame(std::string* dst, wire::MessageType type, uint64_t request_id,
                 std::string_view body);
std::string EncodeFrame(wire::MessageType type, uint64_t request_id, std::string_view body);

// Decodes the first wire::kFrameHeaderBytes of a frame. Protocol error when the declared length
// is below the minimum or above max_length (the caller then closes the connection), or when the
// type is unknown. REQUIRES: header.size() == wire::kFrameHeaderBytes.
Result<FrameHeader> DecodeFrameHeader(std::string_view header,
                                      size_t max_length = wire::kMaxFrameLength);

// Decodes one whole frame from the front of *in and removes it from *in. std::nullopt (and *in
// untouched) when *in does not hold a whole frame yet; Protocol error on a bad header, decided
// from the header alone.
Result<std::optional<Frame>> DecodeFrame(std::string_view* in,
                                         size_t max_length = wire::kMaxFrameLength);

}  // namespace kv
