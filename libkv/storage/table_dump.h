// Dumping an SSTable for people and scripts: what kvsstdump prints. The tool only parses flags
// and calls DumpTable per file. Any thread; each call opens its own reader.
#pragma once

#include <ostream>
#include <string>

#include "libkv/base/status.h"
#include "libkv/env/env.h"

namespace kv {

struct TableDumpOptions {
  bool keys_only = false;  // entries without values or sequence numbers
  bool index = false;      // each index entry: last key, offset, size
  bool bloom = false;      // filter bits, hash count, keys, expected false-positive rate
  bool verify = false;     // read every block and check every checksum
  bool json = false;       // one JSON object instead of text
  // Entries are listed when keys_only is set or when none of index, bloom and verify is.
  bool ListsEntries() const { return keys_only || !(index || bloom || verify); }
};

// Writes the dump of the table at `path` to `out`: in text, a header line with the table's
// properties then the chosen sections; in JSON, one object
//   {"file", "properties", "entries"?, "index"?, "bloom"?, "verify"?, "error"?}
// (members described in man/kvsstdump.1). Returns the first error: NotFound for a
// missing file, Corruption naming the file and offset. On an error the output stays well-formed:
// text stops, JSON closes the open array and gets an "error" member.
Status DumpTable(Env* env, const std::string& path, const TableDumpOptions& options,
                 std::ostream& out);

// Bytes for a person: printable ASCII as is, '"' and '\' escaped, anything else as \xNN; quoted.
std::string QuoteBytes(std::string_view bytes);

}  // namespace kv
