// What a kv node's tables hold, decoded for kvsstdump --decode: the data engine's values are
// sibling sets (docs/formats.md, "Sibling set"), and the hint store's (the tables under
// DATA/hints) are hint records, each carrying a key's sibling set for another node ("Hint
// store"). Storage dumps the tables (table_dump.h) and asks a decoder from here about each value;
// this layer is the one that knows both formats. One decoder per table; not thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "libkv/storage/table_dump.h"

namespace kv {

// The decoder for the table at `path`: hint records for a table whose directory is named
// "hints" (kHintDirName), sibling sets otherwise.
std::unique_ptr<TableValueDecoder> MakeStoredValueDecoder(std::string_view path);

std::unique_ptr<TableValueDecoder> MakeSiblingSetDecoder();
std::unique_ptr<TableValueDecoder> MakeHintRecordDecoder();

}  // namespace kv
