#include "libkv/versioning/context_token.h"

#include "libkv/base/json.h"
#include "libkv/versioning/versioning_format.h"

namespace kv {

std::string EncodeContextToken(const VectorClock& context) {
  std::string out;
  out.push_back(static_cast<char>(kContextTokenFormatVersion));
  context.EncodeTo(&out);
  return out;
}

Result<VectorClock> DecodeContextToken(std::string_view bytes) {
  if (bytes.empty()) return Status::Corruption("context token: empty");
  if (static_cast<uint8_t>(bytes[0]) != kContextTokenFormatVersion) {
    return Status::Corruption("context token: unknown format version " +
                              std::to_string(static_cast<uint8_t>(bytes[0])));
  }
  bytes.remove_prefix(1);
  KV_ASSIGN_OR_RETURN(VectorClock clock, VectorClock::DecodeFrom(&bytes));
  if (!bytes.empty()) return Status::Corruption("context token: trailing bytes");
  return clock;
}

std::string ContextTokenToText(const VectorClock& context) {
  return Base64Encode(EncodeContextToken(context));
}

Result<VectorClock> ContextTokenFromText(std::string_view text) {
  const std::string kHint = "; pass the context exactly as a get printed it";
  auto bytes = Base64Decode(text);
  if (!bytes) return Status::InvalidArgument("context token is not base64" + kHint);
  auto clock = DecodeContextToken(*bytes);
  if (!clock.ok()) {
    return Status::InvalidArgument("context token is malformed (" + clock.status().message() + ")" +
                                   kHint);
  }
  return clock;
}

}  // namespace kv
