// ParseExposition: reads a whole scrape in Prometheus's text exposition format 0.0.4 and checks it
// against the format's grammar and rules, strictly: every line is a `# HELP`, a `# TYPE`, another
// comment, or a sample `name{label="value",...} value [timestamp]` (no blank lines; the text ends
// with a newline); each sample belongs to the family whose TYPE came last (for a histogram, its
// `_bucket`, `_sum` and `_count`), so every sample's family has a TYPE and a family's samples are
// together; no series twice; names and label names valid, label values escaped only as the format
// allows; counters neither negative nor NaN; each histogram's buckets ascending in `le`, their
// counts non-decreasing, ending with `le="+Inf"`, whose count equals `_count`, and with a `_sum`.
// The first breach is an InvalidArgument naming its line. For the tests of every scrape and for
// `kvring metrics --json`. Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libkv/base/status.h"

namespace kv {

struct ParsedSample {
  std::string name;  // the family's, or a histogram's name_bucket, name_sum, name_count
  std::vector<std::pair<std::string, std::string>> labels;  // unescaped values, in text order
  double value = 0;
};

struct ParsedFamily {
  std::string name;
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::string help;  // unescaped; empty without a HELP line
  std::vector<ParsedSample> samples;
};

struct ParsedExposition {
  std::vector<ParsedFamily> families;  // in text order

  const ParsedFamily* Find(std::string_view family) const;
  // The value of the sample `name` whose labels are exactly `labels` (in any order); none when
  // there is no such sample.
  std::optional<double> Value(
      std::string_view name,
      const std::vector<std::pair<std::string, std::string>>& labels = {}) const;
};

Result<ParsedExposition> ParseExposition(std::string_view text);

}  // namespace kv
