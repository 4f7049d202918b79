#include "libkv/versioning/sibling_set_dump.h"

#include <fmt/format.h>

#include "libkv/base/human_text.h"
#include "libkv/base/json.h"

namespace kv {
namespace {

std::string DotText(const Dot& dot) {
  return ClockIdToHex(dot.id) + ":" + std::to_string(dot.counter);
}

}  // namespace

void AppendSiblingSetText(const SiblingSet& set, std::string_view indent, std::string* out) {
  size_t i = 0;
  for (const Version& v : set.versions()) {
    out->append(fmt::format("{}[{}] dot {} clock {} at {} ", indent, ++i, DotText(v.dot),
                            v.clock.ToString(), FormatUtcMicros(v.timestamp_micros)));
    if (v.tombstone) {
      out->append("client delete\n");
    } else {
      out->append(fmt::format("value ({} bytes) {}\n", v.value.size(), QuoteBytes(v.value)));
    }
  }
}

boost::json::array SiblingSetJson(const SiblingSet& set, std::string_view delete_member) {
  boost::json::array out;
  for (const Version& v : set.versions()) {
    boost::json::object version;
    if (v.tombstone) {
      version["value"] = nullptr;
    } else {
      json::PutBytes(version, "value", v.value);
    }
    version[delete_member] = v.tombstone;
    boost::json::object clock;
    for (const ClockEntry& e : v.clock.entries()) clock[ClockIdToHex(e.id)] = e.counter;
    version["clock"] = std::move(clock);
    version["dot"] = DotText(v.dot);
    version["timestamp_micros"] = v.timestamp_micros;
    out.push_back(std::move(version));
  }
  return out;
}

void SiblingSetCounts::Add(const SiblingSet& set) {
  ++sets;
  if (set.size() > 1) ++sets_with_siblings;
  if (set.AllTombstones()) ++deleted_sets;
  versions += set.size();
  for (const Version& v : set.versions())
    if (v.tombstone) ++client_deletes;
}

std::string SiblingSetCounts::ToText() const {
  return fmt::format(
      "{} sibling sets ({} with siblings, {} deleted by a client), {} versions ({} client "
      "deletes)",
      sets, sets_with_siblings, deleted_sets, versions, client_deletes);
}

boost::json::object SiblingSetCounts::ToJson() const {
  return boost::json::object{{"sibling_sets", sets},
                             {"sets_with_siblings", sets_with_siblings},
                             {"deleted_sets", deleted_sets},
                             {"versions", versions},
                             {"client_deletes", client_deletes}};
}

}  // namespace kv
