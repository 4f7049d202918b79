#include "libkv/base/limits.h"

#include <fmt/format.h>

namespace kv {

Status CheckKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("key is empty; a key is 1 byte to 64 KiB");
  if (key.size() > kMaxKeyBytes)
    return Status::InvalidArgument(
        fmt::format("key is {} bytes; the limit is {} bytes (64 KiB)", key.size(), kMaxKeyBytes));
  return Status::Ok();
}

Status CheckKeyAndValue(std::string_view key, std::string_view value) {
  KV_RETURN_IF_ERROR(CheckKey(key));
  if (value.size() > kMaxValueBytes)
    return Status::InvalidArgument(fmt::format("value is {} bytes; the limit is {} bytes (16 MiB)",
                                               value.size(), kMaxValueBytes));
  return Status::Ok();
}

Status CheckKeyAndStoredValue(std::string_view key, std::string_view stored) {
  KV_RETURN_IF_ERROR(CheckKey(key));
  if (stored.size() > kMaxStoredValueBytes)
    return Status::InvalidArgument(
        fmt::format("the value to store is {} bytes; the engine's limit is {} bytes (17 MiB: a "
                    "16 MiB value and its version clocks); if the key has siblings, resolve them "
                    "with a put that passes the context of a get",
                    stored.size(), kMaxStoredValueBytes));
  return Status::Ok();
}

}  // namespace kv
