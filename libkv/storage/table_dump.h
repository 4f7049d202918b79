// Dumping an SSTable for people and scripts: what kvsstdump prints. The tool only parses flags
// and calls DumpTable per file. Any thread; each call opens its own reader.
#pragma once

#include <boost/json/object.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "libkv/base/human_text.h"
#include "libkv/base/status.h"
#include "libkv/env/env.h"

namespace kv {

// What a table's values mean, for kvsstdump --decode. The engine stores opaque bytes; a layer
// above it knows them as sibling sets or hint records (libkv/replication/stored_value_decoder.h),
// so that storage need not depend on it. One decoder per table: it may count what it decoded.
class TableValueDecoder {
 public:
  virtual ~TableValueDecoder() = default;
  // A line saying what the values were read as (for the text header), e.g. "sibling sets".
  virtual std::string_view What() const = 0;
  // The decoded value of an entry (never an engine tombstone): in text, lines after the entry's
  // own line; in JSON, members added to the entry's object (in place of its "value").
  virtual void AppendText(std::string_view key, std::string_view value, std::string* out) = 0;
  virtual void AddJson(std::string_view key, std::string_view value,
                       boost::json::object& entry) = 0;
  // After the last entry: the counts, as a text line and as a JSON object.
  virtual std::string SummaryText() const = 0;
  virtual boost::json::object SummaryJson() const = 0;
  // Corruption naming the first value that did not decode, and how many did not; else Ok.
  // DumpTable does not call it: the caller says what it means.
  virtual Status Finish() const = 0;
};

struct TableDumpOptions {
  bool keys_only = false;  // entries without values or sequence numbers
  bool index = false;      // each index entry: last key, offset, size
  bool bloom = false;      // filter bits, hash count, keys, expected false-positive rate
  bool verify = false;     // read every block and check every checksum
  bool json = false;       // one JSON object instead of text
  // Set: every value is shown decoded (entries are listed), and the counts of what it decoded
  // follow them. Not owned.
  TableValueDecoder* decoder = nullptr;
  // Entries are listed when keys_only is set or when none of index, bloom and verify is.
  bool ListsEntries() const {
    return keys_only || decoder != nullptr || !(index || bloom || verify);
  }
};

// Writes the dump of the table at `path` to `out`: in text, a header line with the table's
// properties then the chosen sections; in JSON, one object
//   {"file", "properties", "entries"?, "index"?, "bloom"?, "verify"?, "decoded"?, "error"?}
// (members described in man/kvsstdump.1). Returns the first error: NotFound for a missing file,
// InvalidArgument for a file that is not a kv table (it does not end in the SSTable magic number
// and is not named *.sst), Corruption naming the file and offset (a *.sst file without the magic
// number is a truncated table). On an error the output stays
// well-formed: text stops, JSON closes the open array and gets an "error" member.
Status DumpTable(Env* env, const std::string& path, const TableDumpOptions& options,
                 std::ostream& out);

}  // namespace kv
