// The fixed parts around a table's data: the properties block and the footer
// (docs/formats.md, "SSTable"). Encoders for the writer; decoders for the reader that check every
// field and say what is wrong. Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libkv/storage/block_trailer.h"
#include "libkv/storage/sstable.h"

namespace kv {

struct TableFooter {
  BlockHandle filter;  // size 0: the table has no filter
  BlockHandle properties;
  BlockHandle index;
  uint32_t version = kTableFormatVersion;
};

// kFooterBytes bytes.
std::string EncodeFooter(const TableFooter& footer);
// `in` is the file's last kFooterBytes bytes; on failure *error says what and *error_at which
// byte of the footer.
std::optional<TableFooter> DecodeFooter(std::string_view in, std::string* error, size_t* error_at);

// file_bytes is not stored: it is the file's size. Encodes the current format version; decodes
// the footer's `version` (version 1 has no data-block codec or sizes).
std::string EncodeProperties(const TableProperties& p);
std::optional<TableProperties> DecodeProperties(std::string_view in, uint32_t version,
                                                std::string* error);

}  // namespace kv
