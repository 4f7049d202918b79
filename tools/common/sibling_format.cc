#include "tools/common/sibling_format.h"

#include <fmt/format.h>

#include <ctime>

#include "libkv/base/human_text.h"
#include "libkv/base/json.h"
#include "libkv/versioning/sibling_set_dump.h"
#include "libkv/versioning/vector_clock.h"

namespace kv {

namespace {

bool IsShellWord(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("\"'\\`$&|;<>()*?[]{}!#~").find(c) != std::string_view::npos) return false;
  }
  return true;
}

std::string QuotedOrBase64(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return json::Serialize(boost::json::string(bytes));
  return "base64:" + Base64Encode(bytes);
}

std::string DotText(const Dot& dot) {
  return ClockIdToHex(dot.id) + ":" + std::to_string(dot.counter);
}

}  // namespace

std::string DisplayBytes(std::string_view bytes) {
  if (IsShellWord(bytes)) return std::string(bytes);
  return QuotedOrBase64(bytes);
}

std::string FormatTimestampMicros(uint64_t micros) {
  return FormatUtcMicros(micros);
}

std::string FormatSiblingsText(std::string_view key, const GetResult& result) {
  const std::string shown_key = DisplayBytes(key);
  const auto& versions = result.siblings.versions();
  std::string out;
  if (versions.size() == 1) {
    out += fmt::format("1 version of {}\n", shown_key);
  } else {
    out += fmt::format("{} siblings of {} (resolve with: kvput --context TOKEN {} VALUE)\n",
                       versions.size(), shown_key, shown_key);
  }
  for (size_t i = 0; i < versions.size(); ++i) {
    const Version& v = versions[i];
    out += fmt::format("[{}] clock {} dot {} at {}\n", i + 1, v.clock.ToString(), DotText(v.dot),
                       FormatTimestampMicros(v.timestamp_micros));
    const std::string indent(fmt::format("[{}] ", i + 1).size(), ' ');
    if (v.tombstone) {
      out += indent + "<deleted>\n";
    } else {
      out +=
          fmt::format("{}value ({} bytes): {}\n", indent, v.value.size(), QuotedOrBase64(v.value));
    }
  }
  out += "context: " + Base64Encode(result.context) + "\n";
  return out;
}

std::string FormatGetResultJson(std::string_view key, const GetResult& result) {
  boost::json::object out;
  json::PutBytes(out, "key", key);
  out["found"] = result.found();
  out["siblings"] = SiblingSetJson(result.siblings, "tombstone");
  out["context"] = Base64Encode(result.context);
  return json::Serialize(out) + "\n";
}

}  // namespace kv
