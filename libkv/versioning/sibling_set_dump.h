// A stored sibling set as people and scripts read it (kvsstdump --decode): every version's dot,
// clock and time, and its value or the mark of a client delete; and counts over many sets, so
// that a table's client deletes are told apart from the engine's own tombstones. Pure functions
// and a plain value, any thread.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/versioning/sibling_set.h"

namespace kv {

// Text, one line per version, each starting with `indent`:
//   [1] dot 1f2e3d4c5b6a7988:3 clock {1f2e3d4c5b6a7988:2} at 2026-05-01T12:00:00.000000Z value (5
//   bytes) "hello" [2] dot 0a0b0c0d0e0f1011:1 clock {} at 2026-05-01T12:00:01.000000Z client delete
void AppendSiblingSetText(const SiblingSet& set, std::string_view indent, std::string* out);

// JSON, an array with an object per version, as kvget --json prints a sibling:
//   [{"value":"hello","client_delete":false,"clock":{"1f2e3d4c5b6a7988":2},
//     "dot":"1f2e3d4c5b6a7988:3","timestamp_micros":1777636800000000}, ...]
// "value" is null for a client delete; a value that is not UTF-8 is base64 with
// "value_base64":true (json.h). `delete_member` names the flag of a client delete (kvget --json
// calls it "tombstone").
boost::json::array SiblingSetJson(const SiblingSet& set,
                                  std::string_view delete_member = "client_delete");

struct SiblingSetCounts {
  uint64_t sets = 0;                // keys holding a sibling set
  uint64_t sets_with_siblings = 0;  // of them, with more than one version (concurrent writes)
  uint64_t deleted_sets = 0;        // of them, every version a client delete (reads: not found)
  uint64_t versions = 0;
  uint64_t client_deletes = 0;  // versions that are a client's delete (a tombstone version)

  void Add(const SiblingSet& set);
  // "12 sibling sets (1 with siblings, 3 deleted by a client), 14 versions (4 client deletes)"
  std::string ToText() const;
  // {"sibling_sets":12,"sets_with_siblings":1,"deleted_sets":3,"versions":14,"client_deletes":4}
  boost::json::object ToJson() const;
};

}  // namespace kv
