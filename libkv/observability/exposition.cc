#include "libkv/observability/exposition.h"

#include <fmt/format.h>

#include <cmath>

namespace kv {

namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// HELP text: \ as \\ and a newline as \n (the format's escapes there; a quote stays).
std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name)
    if (!(IsNameStart(c) || IsDigit(c) || c == ':')) return false;
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0]) || name.starts_with("__")) return false;
  for (char c : name)
    if (!(IsNameStart(c) || IsDigit(c))) return false;
  return true;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

bool ExpositionWriter::Check(bool ok, std::string_view what) {
  if (!ok && status_.ok()) status_ = Status::InvalidArgument(std::string(what));
  return ok;
}

void ExpositionWriter::Family(std::string_view name, MetricType type, std::string_view help) {
  family_.clear();
  if (!Check(IsValidMetricName(name), fmt::format("metric name {:?} is not valid", name))) return;
  family_ = name;
  type_ = type;
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(help),
                 name, MetricTypeName(type));
}

bool ExpositionWriter::AppendSeries(std::string_view name,
                                    std::initializer_list<MetricLabel> labels, MetricLabel extra) {
  for (const MetricLabel& l : labels)
    if (!Check(IsValidLabelName(l.name) && l.name != "le",
               fmt::format("label name {:?} of {} is not valid", l.name, name)))
      return false;
  out_ += name;
  if (labels.size() == 0 && extra.name.empty()) return true;
  out_ += '{';
  bool first = true;
  auto append = [&](const MetricLabel& l) {
    if (!first) out_ += ',';
    first = false;
    fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", l.name, EscapeLabelValue(l.value));
  };
  for (const MetricLabel& l : labels) append(l);
  if (!extra.name.empty()) append(extra);
  out_ += '}';
  return true;
}

void ExpositionWriter::Sample(std::initializer_list<MetricLabel> labels, uint64_t value) {
  if (family_.empty()) return;
  if (!Check(type_ != MetricType::kHistogram,
             fmt::format("a plain sample given to histogram {}", family_)))
    return;
  if (!AppendSeries(family_, labels)) return;
  fmt::format_to(std::back_inserter(out_), " {}\n", value);
}

void ExpositionWriter::Sample(std::initializer_list<MetricLabel> labels, double value) {
  if (family_.empty()) return;
  if (!Check(type_ != MetricType::kHistogram,
             fmt::format("a plain sample given to histogram {}", family_)))
    return;
  if (!AppendSeries(family_, labels)) return;
  out_ += ' ';
  out_ += FormatMetricValue(value);
  out_ += '\n';
}

void ExpositionWriter::Histogram(std::initializer_list<MetricLabel> labels,
                                 std::span<const double> bounds, std::span<const uint64_t> buckets,
                                 double sum) {
  if (family_.empty()) return;
  if (!Check(type_ == MetricType::kHistogram,
             fmt::format("a histogram given to {} {}", MetricTypeName(type_), family_)))
    return;
  if (!Check(buckets.size() == bounds.size() + 1,
             fmt::format("histogram {}: {} buckets for {} bounds", family_, buckets.size(),
                         bounds.size())))
    return;
  for (size_t i = 1; i < bounds.size(); ++i)
    if (!Check(bounds[i - 1] < bounds[i],
               fmt::format("histogram {}: bounds not ascending", family_)))
      return;
  const std::string bucket_name = family_ + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    const std::string le = i < bounds.size() ? FormatMetricValue(bounds[i]) : "+Inf";
    if (!AppendSeries(bucket_name, labels, MetricLabel{"le", le})) return;
    fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
  }
  AppendSeries(family_ + "_sum", labels);
  out_ += ' ';
  out_ += FormatMetricValue(sum);
  out_ += '\n';
  AppendSeries(family_ + "_count", labels);
  fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
}

std::string ExpositionWriter::Take() {
  std::string text = std::move(out_);
  out_.clear();
  family_.clear();
  return text;
}

}  // namespace kv
