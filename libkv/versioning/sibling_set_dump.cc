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

void AppendSiblingSetJson(const SiblingSet& set, std::string* out) {
  out->push_back('[');
  bool first = true;
  for (const Version& v : set.versions()) {
    out->append(first ? "{" : ",{");
    first = false;
    if (v.tombstone) {
      out->append("\"value\":null");
    } else {
      AppendJsonBytesMember(out, "value", v.value);
    }
    out->append(v.tombstone ? ",\"client_delete\":true" : ",\"client_delete\":false");
    out->append(",\"clock\":{");
    bool first_entry = true;
    for (const ClockEntry& e : v.clock.entries()) {
      if (!first_entry) out->push_back(',');
      first_entry = false;
      out->append(fmt::format("\"{}\":{}", ClockIdToHex(e.id), e.counter));
    }
    out->append(fmt::format("}},\"dot\":\"{}\",\"timestamp_micros\":{}}}", DotText(v.dot),
                            v.timestamp_micros));
  }
  out->push_back(']');
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

std::string SiblingSetCounts::ToJson() const {
  return fmt::format(
      "{{\"sibling_sets\":{},\"sets_with_siblings\":{},\"deleted_sets\":{},\"versions\":{},"
      "\"client_deletes\":{}}}",
      sets, sets_with_siblings, deleted_sets, versions, client_deletes);
}

}  // namespace kv
