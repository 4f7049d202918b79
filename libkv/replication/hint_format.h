// Constants of the hint store's layout inside its own engine (the engine key of a hint and the
// record stored as its value): docs/formats.md, "Hint store".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kv {

// The hint store's directory under a node's data directory.
inline constexpr std::string_view kHintDirName = "hints";

// Engine key: target node id, this byte, then the hint's sequence number as a big-endian
// fixed64 (so a target's hints sort together, oldest first). A target never contains it.
inline constexpr char kHintKeySeparator = '\0';
inline constexpr size_t kHintSequenceBytes = 8;

// The first byte of every hint record.
inline constexpr uint8_t kHintFormatVersion = 1;

}  // namespace kv
