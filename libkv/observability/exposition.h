// ExpositionWriter: metrics in Prometheus's text exposition format 0.0.4 (docs/metrics.md cites
// it): for each family a `# HELP` and a `# TYPE` line, then its samples, `name{label="value",...}
// value`, one a line. Counters and gauges are one sample per label set; a histogram is its
// cumulative `_bucket{le="..."}` samples, ending with `le="+Inf"`, then `_sum` and `_count`. Label
// values and help texts are escaped as the format says (backslash, double quote in label values,
// newline). A value is written exactly: integers as integers, doubles in their shortest form that
// reads back the same, and +Inf, -Inf, NaN by those names.
//
// Names are the program's own constants, so a bad one is a bug: the writer leaves out the family,
// sample or label set that has one, keeps writing the rest, and says which in status().
// A plain value; one thread at a time.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "libkv/base/status.h"

namespace kv {

enum class MetricType { kCounter, kGauge, kHistogram };

std::string_view MetricTypeName(MetricType type);  // "counter", "gauge", "histogram"

struct MetricLabel {
  std::string_view name;
  std::string_view value;  // any bytes; escaped on the way out
};

// [a-zA-Z_:][a-zA-Z0-9_:]*, as Prometheus's data model says.
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not beginning with "__" (reserved for Prometheus's own labels).
bool IsValidLabelName(std::string_view name);
// A label value between its double quotes: \ as \\, " as \", a newline as \n.
std::string EscapeLabelValue(std::string_view value);
// A sample value: "+Inf", "-Inf", "NaN", else the shortest decimal that reads back the same.
std::string FormatMetricValue(double value);

class ExpositionWriter {
 public:
  // Begins a family: its HELP and TYPE lines. The samples that follow belong to it.
  void Family(std::string_view name, MetricType type, std::string_view help);

  // A sample of the current counter or gauge family.
  void Sample(std::initializer_list<MetricLabel> labels, uint64_t value);
  void Sample(std::initializer_list<MetricLabel> labels, double value);
  void Sample(uint64_t value) { Sample({}, value); }
  void Sample(double value) { Sample({}, value); }

  // A histogram of the current histogram family, for one label set. `bounds` are the buckets'
  // upper bounds, ascending (+Inf is added after them); buckets[i] counts the observations in
  // (bounds[i-1], bounds[i]], and buckets[bounds.size()] those above the last bound. Written as
  // cumulative counts; the count is their total.
  void Histogram(std::initializer_list<MetricLabel> labels, std::span<const double> bounds,
                 std::span<const uint64_t> buckets, double sum);

  // Ok, or the first name or call that was refused (and left out).
  const Status& status() const { return status_; }
  // The text so far; the writer starts anew.
  std::string Take();

 private:
  bool Check(bool ok, std::string_view what);
  // Appends name{labels,extra} (extra: a last label, such as le, or none when its name is empty).
  bool AppendSeries(std::string_view name, std::initializer_list<MetricLabel> labels,
                    MetricLabel extra = {});

  std::string out_;
  std::string family_;  // the current family's name; empty before the first, or when refused
  MetricType type_ = MetricType::kGauge;
  Status status_;
};

}  // namespace kv
