// Constants of the manifest (docs/formats.md, "Manifest"). A manifest file is a sequence of
// records framed like the commit log's (record_framing.h): one header, one record per live
// table (by run, newest run first, then by key), then an end record that proves the file is
// complete.
#pragma once

#include <cstdint>

namespace kv::manifest {

inline constexpr uint32_t kFormatVersion = 1;

enum class RecordType : uint8_t {
  // payload := version:fixed32 | next_file:varint64 | last_seq:varint64 | log_number:varint64
  kHeader = 1,
  // payload := number:varint64 | level:varint32 | run:varint32 | smallest:lp | largest:lp |
  //            smallest_seq:varint64 | largest_seq:varint64 | file_bytes:varint64 |
  //            entries:varint64 | tombstones:varint64
  kTable = 2,
  // payload := table_count:varint32
  kEnd = 3,
};

}  // namespace kv::manifest
