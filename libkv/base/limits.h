// The data model's size limits (DESIGN.md, "Data model"). Every layer that accepts a key or value
// checks against these before writing or allocating anything.
#pragma once

#include <cstddef>
#include <string_view>

#include "libkv/base/status.h"

namespace kv {

inline constexpr size_t kMaxKeyBytes = 64 * 1024;           // 64 KiB
inline constexpr size_t kMaxValueBytes = 16 * 1024 * 1024;  // 16 MiB
// What the engine stores per key once the cluster runs is a sibling set: a client's value with
// its vector clock, or several smaller concurrent ones. The headroom holds the clocks of a
// largest value; siblings that together pass it are refused until a client resolves them.
inline constexpr size_t kMaxStoredValueBytes = kMaxValueBytes + 1024 * 1024;  // 17 MiB

// Ok, or InvalidArgument saying which limit was passed and by how much.
Status CheckKeyAndValue(std::string_view key, std::string_view value);
Status CheckKey(std::string_view key);
// The engine's own limit: CheckKey, and a stored value of at most kMaxStoredValueBytes.
Status CheckKeyAndStoredValue(std::string_view key, std::string_view stored);

}  // namespace kv
