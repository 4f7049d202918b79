#include "libkv/observability/exposition_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "libkv/observability/exposition.h"

namespace kv {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

bool IsSpace(char c) {
  return c == ' ' || c == '\t';
}

// A name at the front of *in, taken off it; empty when there is none.
std::string_view TakeName(std::string_view* in) {
  size_t n = 0;
  while (n < in->size()) {
    const char c = (*in)[n];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!(letter || (n > 0 && c >= '0' && c <= '9'))) break;
    ++n;
  }
  std::string_view name = in->substr(0, n);
  in->remove_prefix(n);
  return name;
}

void SkipSpaces(std::string_view* in) {
  while (!in->empty() && IsSpace(in->front())) in->remove_prefix(1);
}

// The escapes `allowed` lists ("\\n" for HELP, "\\\"n" for label values) undone; nothing when a
// backslash escapes anything else or ends the text.
std::optional<std::string> Unescape(std::string_view in, std::string_view allowed) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out += in[i];
      continue;
    }
    if (++i == in.size() || allowed.find(in[i]) == std::string_view::npos) return std::nullopt;
    out += in[i] == 'n' ? '\n' : in[i];
  }
  return out;
}

std::optional<double> ParseValue(std::string_view token) {
  if (token == "+Inf") return HUGE_VAL;
  if (token == "-Inf") return -HUGE_VAL;
  if (token == "NaN") return std::nan("");
  double v = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc() || end != token.data() + token.size() || std::isnan(v) || std::isinf(v))
    return std::nullopt;
  return v;
}

// {name="value",...} at the front of *in (which begins with '{'), taken off it.
Result<Labels> TakeLabels(std::string_view* in) {
  Labels labels;
  in->remove_prefix(1);
  while (true) {
    SkipSpaces(in);
    if (!in->empty() && in->front() == '}') break;
    std::string_view name = TakeName(in);
    if (!IsValidLabelName(name) && name != "__name__")
      return Status::InvalidArgument(fmt::format("label name {:?} is not valid", name));
    SkipSpaces(in);
    if (!in->starts_with("=\""))
      return Status::InvalidArgument(fmt::format("label {} has no =\"value\"", name));
    in->remove_prefix(2);
    size_t end = 0;
    while (end < in->size() && (*in)[end] != '"') end += (*in)[end] == '\\' ? 2 : 1;
    if (end >= in->size())
      return Status::InvalidArgument(fmt::format("label {}'s value has no closing quote", name));
    std::optional<std::string> value = Unescape(in->substr(0, end), "\\\"n");
    if (!value)
      return Status::InvalidArgument(fmt::format("label {}'s value has a bad escape", name));
    for (const auto& [seen, v] : labels)
      if (seen == name) return Status::InvalidArgument(fmt::format("label {} twice", name));
    labels.emplace_back(name, std::move(*value));
    in->remove_prefix(end + 1);
    SkipSpaces(in);
    if (!in->empty() && in->front() == ',') {
      in->remove_prefix(1);
      continue;
    }
    if (in->empty() || in->front() != '}') return Status::InvalidArgument("labels not closed by }");
    break;
  }
  in->remove_prefix(1);
  return labels;
}

Result<ParsedSample> ParseSample(std::string_view line) {
  ParsedSample sample;
  std::string_view in = line;
  sample.name = TakeName(&in);
  if (!IsValidMetricName(sample.name))
    return Status::InvalidArgument("a sample line does not begin with a metric name");
  if (!in.empty() && in.front() == '{') {
    KV_ASSIGN_OR_RETURN(sample.labels, TakeLabels(&in));
  }
  if (in.empty() || !IsSpace(in.front()))
    return Status::InvalidArgument("no space before the sample's value");
  SkipSpaces(&in);
  const size_t value_end = std::min(in.size(), in.find_first_of(" \t"));
  std::optional<double> value = ParseValue(in.substr(0, value_end));
  if (!value)
    return Status::InvalidArgument(
        fmt::format("sample value {:?} is not a number", in.substr(0, value_end)));
  sample.value = *value;
  in.remove_prefix(value_end);
  SkipSpaces(&in);
  if (!in.empty()) {  // a timestamp: milliseconds, an integer
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), ms);
    if (ec != std::errc() || end != in.data() + in.size())
      return Status::InvalidArgument(fmt::format("{:?} after the value is not a timestamp", in));
  }
  return sample;
}

std::string SeriesKey(const ParsedSample& s, bool without_le) {
  Labels sorted = s.labels;
  if (without_le) std::erase_if(sorted, [](const auto& l) { return l.first == "le"; });
  std::sort(sorted.begin(), sorted.end());
  std::string key = without_le ? std::string() : s.name;
  for (const auto& [n, v] : sorted) key += fmt::format("\x01{}\x02{}", n, v);
  return key;
}

bool BelongsTo(std::string_view sample, const ParsedFamily& family) {
  if (sample == family.name) return family.type != "histogram";
  if (!sample.starts_with(family.name)) return false;
  const std::string_view suffix = sample.substr(family.name.size());
  if (family.type == "histogram")
    return suffix == "_bucket" || suffix == "_sum" || suffix == "_count";
  if (family.type == "summary") return suffix == "_sum" || suffix == "_count";
  return false;
}

Status CheckHistogram(const ParsedFamily& family) {
  struct Series {
    std::vector<const ParsedSample*> buckets;
    std::optional<double> sum;
    std::optional<double> count;
  };
  std::map<std::string, Series> series;  // by labels without le
  for (const ParsedSample& s : family.samples) {
    Series& one = series[SeriesKey(s, true)];
    if (s.name == family.name + "_bucket")
      one.buckets.push_back(&s);
    else if (s.name == family.name + "_sum")
      one.sum = s.value;
    else
      one.count = s.value;
  }
  for (const auto& [key, one] : series) {
    auto fail = [&](std::string why) {
      return Status::InvalidArgument(fmt::format("histogram {}: {}", family.name, why));
    };
    if (one.buckets.empty()) return fail("a series has no buckets");
    if (!one.sum || !one.count) return fail("a series lacks _sum or _count");
    double last_le = -HUGE_VAL;
    double last_count = 0;
    for (const ParsedSample* b : one.buckets) {
      auto le = std::find_if(b->labels.begin(), b->labels.end(),
                             [](const auto& l) { return l.first == "le"; });
      if (le == b->labels.end()) return fail("a bucket has no le label");
      std::optional<double> bound = ParseValue(le->second);
      if (!bound || std::isnan(*bound))
        return fail(fmt::format("le {:?} is not a number", le->second));
      if (*bound <= last_le) return fail("buckets not ascending in le");
      if (b->value < last_count) return fail("bucket counts decrease (not cumulative)");
      last_le = *bound;
      last_count = b->value;
    }
    if (!std::isinf(last_le)) return fail("the last bucket is not le=\"+Inf\"");
    if (last_count != *one.count)
      return fail(
          fmt::format("the +Inf bucket ({}) differs from _count ({})", last_count, *one.count));
  }
  return Status::Ok();
}

}  // namespace

const ParsedFamily* ParsedExposition::Find(std::string_view family) const {
  for (const ParsedFamily& f : families)
    if (f.name == family) return &f;
  return nullptr;
}

std::optional<double> ParsedExposition::Value(std::string_view name, const Labels& labels) const {
  Labels want = labels;
  std::sort(want.begin(), want.end());
  for (const ParsedFamily& f : families)
    for (const ParsedSample& s : f.samples) {
      if (s.name != name) continue;
      Labels have = s.labels;
      std::sort(have.begin(), have.end());
      if (have == want) return s.value;
    }
  return std::nullopt;
}

Result<ParsedExposition> ParseExposition(std::string_view text) {
  ParsedExposition out;
  if (!text.empty() && text.back() != '\n')
    return Status::InvalidArgument("the text does not end with a newline");
  std::set<std::string, std::less<>> family_names;
  std::set<std::string> series;
  ParsedFamily* current = nullptr;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    ++line_number;
    auto fail = [&](const Status& why) {
      return Status::InvalidArgument(
          fmt::format("line {} ({:?}): {}", line_number, line.substr(0, 120), why.message()));
    };
    if (line.empty()) return fail(Status::InvalidArgument("a blank line"));
    if (line.front() == '#') {
      std::string_view rest = line.substr(1);
      const bool help = rest.starts_with(" HELP ");
      const bool type = rest.starts_with(" TYPE ");
      if (!help && !type) continue;  // a plain comment
      rest.remove_prefix(6);
      std::string_view name = TakeName(&rest);
      if (!IsValidMetricName(name))
        return fail(Status::InvalidArgument("HELP or TYPE without a valid metric name"));
      if (!rest.empty() && rest.front() != ' ')
        return fail(Status::InvalidArgument("no space after the metric name"));
      if (!rest.empty()) rest.remove_prefix(1);
      if (current == nullptr || current->name != name) {
        if (family_names.contains(name))
          return fail(Status::InvalidArgument(
              fmt::format("family {} again, after other families' lines", name)));
        family_names.emplace(name);
        out.families.emplace_back();
        out.families.back().name = name;
        current = &out.families.back();
      }
      if (!current->samples.empty())
        return fail(Status::InvalidArgument("HELP or TYPE after the family's samples"));
      if (help) {
        std::optional<std::string> unescaped = Unescape(rest, "\\n");
        if (!unescaped) return fail(Status::InvalidArgument("a bad escape in HELP"));
        if (!current->help.empty()) return fail(Status::InvalidArgument("a second HELP"));
        current->help = std::move(*unescaped);
      } else {
        static constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram", "summary",
                                                      "untyped"};
        if (std::find(std::begin(kTypes), std::end(kTypes), rest) == std::end(kTypes))
          return fail(Status::InvalidArgument(fmt::format("unknown type {:?}", rest)));
        if (!current->type.empty()) return fail(Status::InvalidArgument("a second TYPE"));
        current->type = rest;
      }
      continue;
    }
    Result<ParsedSample> sample = ParseSample(line);
    if (!sample.ok()) return fail(sample.status());
    if (current == nullptr || current->type.empty() || !BelongsTo(sample->name, *current))
      return fail(Status::InvalidArgument(
          fmt::format("sample {} follows no TYPE line of its family", sample->name)));
    if (!series.insert(SeriesKey(*sample, false)).second)
      return fail(Status::InvalidArgument("the same series twice"));
    if (current->type == "counter" && !(sample->value >= 0))
      return fail(Status::InvalidArgument("a counter below zero or NaN"));
    current->samples.push_back(std::move(*sample));
  }
  for (const ParsedFamily& f : out.families) {
    if (f.type.empty())
      return Status::InvalidArgument(fmt::format("family {} has HELP but no TYPE", f.name));
    if (f.type == "histogram") KV_RETURN_IF_ERROR(CheckHistogram(f));
  }
  return out;
}

}  // namespace kv
