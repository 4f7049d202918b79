// The one size convention of kv's size flags and config keys (kvnode --memory-budget,
// --cache-size, --memtable-size, --hint-quota...; kvbench --cache-size, --value-size...): a whole
// number of bytes, or one followed by a unit, in any case:
//   KB, MB, GB, TB     powers of 1000 (1MB = 1,000,000 bytes)
//   KiB, MiB, GiB, TiB powers of 1024 (1MiB = 1,048,576 bytes)
//   B                  bytes
// A lone K, M, G or T is refused, as it could mean either. Pure; any thread.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string_view>

#include "libkv/base/status.h"

namespace kv::tools {

// The bytes `text` names; InvalidArgument saying what is accepted otherwise (and on overflow).
Result<uint64_t> ParseSize(std::string_view text);

// A CLI11 transform for a size option: the text becomes its number of bytes. Its description is
// empty, so --help shows the option's placeholder (type_name "SIZE") alone.
CLI::Validator SizeValue();

}  // namespace kv::tools
