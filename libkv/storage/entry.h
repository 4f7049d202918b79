// What the engine stores per key: the newest write, a value or a tombstone, with the sequence
// number the engine gave it. Sequence numbers grow by one per write across the whole engine and
// are never reused (they survive restarts through the commit log and the manifest), so of two
// entries for one key the higher sequence is the newer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

enum class EntryKind : uint8_t {
  kValue = 1,
  kTombstone = 2,
};

using SequenceNumber = uint64_t;

// A borrowed view of one entry; valid as long as whatever it came from.
struct EntryView {
  std::string_view key;
  SequenceNumber seq = 0;
  EntryKind kind = EntryKind::kValue;
  std::string_view value;  // empty for a tombstone
};

}  // namespace kv
