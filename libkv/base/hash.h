// 64-bit hashing of keys (XXH64): for bloom filters now, ring tokens later. Stable across
// processes and machines, since both uses store or exchange its values. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace kv {

uint64_t Hash64(std::string_view data, uint64_t seed = 0);

}  // namespace kv
