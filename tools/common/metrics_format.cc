#include "tools/common/metrics_format.h"

#include "libkv/base/json.h"
#include "libkv/observability/exposition_parser.h"

namespace kv {

Result<std::string> FormatMetricsJson(std::string_view node, std::string_view text) {
  Result<ParsedExposition> parsed = ParseExposition(text);
  if (!parsed.ok())
    return parsed.status().WithContext("the node's metrics are not valid exposition text");
  boost::json::array families;
  for (const ParsedFamily& f : parsed->families) {
    boost::json::array samples;
    for (const ParsedSample& s : f.samples) {
      boost::json::object labels;
      for (const auto& [name, value] : s.labels) labels[name] = json::TextOr(value);
      boost::json::object sample;
      sample["name"] = s.name;
      sample["labels"] = std::move(labels);
      sample["value"] = s.value;
      samples.push_back(std::move(sample));
    }
    boost::json::object family;
    family["name"] = f.name;
    family["type"] = f.type;
    family["help"] = json::TextOr(f.help);
    family["samples"] = std::move(samples);
    families.push_back(std::move(family));
  }
  boost::json::object out;
  out["node"] = json::TextOr(node);
  out["families"] = std::move(families);
  return json::Serialize(out) + "\n";
}

}  // namespace kv
