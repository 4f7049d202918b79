// Constants of the commit log (docs/formats.md, "Commit log"). The manifest uses the same record
// framing (docs/formats.md, "Manifest").
//
// record := masked_crc32c:fixed32 | length:fixed32 | type:u8 | payload[length]
// The CRC covers type and payload.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv::commit_log {

inline constexpr size_t kHeaderBytes = 4 + 4 + 1;

enum class RecordType : uint8_t {
  // payload := seq:varint64 | kind:u8 | key:lp | value:lp   (lp = varint32 length, bytes)
  kWrite = 1,
  // payload := first_seq:varint64 | count:varint32 | count x (kind:u8 | key:lp | value:lp);
  // the i-th write (from 0) has sequence number first_seq + i.
  kBatch = 2,
};

// A group commit puts at most this many payload bytes in one batch record (a single larger
// write still gets a record of its own).
inline constexpr size_t kMaxGroupBytes = 1 << 20;

}  // namespace kv::commit_log
