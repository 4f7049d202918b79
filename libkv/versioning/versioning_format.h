// Constants of the sibling set and context token encodings: docs/formats.md, "Sibling set".
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv {

// The first byte of an encoded sibling set and of a context token. A reader rejects any other.
inline constexpr uint8_t kSiblingSetFormatVersion = 1;
inline constexpr uint8_t kContextTokenFormatVersion = 1;

// Version kinds.
inline constexpr uint8_t kVersionKindValue = 0;
inline constexpr uint8_t kVersionKindTombstone = 1;

// A clock entry is fixed64 id + varint64 counter + varint64 timestamp: at least 10 bytes.
inline constexpr size_t kMinClockEntryBytes = 10;
// A version is at least: empty clock (1) + dot id (8) + dot counter (1) + timestamp (1) + kind (1).
inline constexpr size_t kMinVersionBytes = 12;

// Sanity bounds a decoder enforces (pruning keeps real clocks far below these).
inline constexpr uint32_t kMaxClockEntries = 1 << 16;
inline constexpr uint32_t kMaxSiblings = 4096;  // decoding is quadratic in it; Riak stops at 100

}  // namespace kv
