// The Prometheus text writer and its checker (libkv/observability/exposition*.h): escaping,
// cumulative histogram buckets, valid names, exact values; and that the checker refuses each
// breach of the format it is meant to catch, so a test that parses a node's scrape with it
// proves something.
#include "libkv/observability/exposition.h"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>

#include "libkv/observability/exposition_parser.h"

namespace kv {
namespace {

TEST_CASE("exposition: a counter and a gauge with HELP, TYPE and labels") {
  ExpositionWriter out;
  out.Family("kv_requests_total", MetricType::kCounter, "Requests answered.");
  out.Sample({{"op", "put"}, {"outcome", "ok"}}, uint64_t{3});
  out.Family("kv_tables", MetricType::kGauge, "Tables now.");
  out.Sample(uint64_t{7});
  CHECK(out.status().ok());
  CHECK(out.Take() ==
        "# HELP kv_requests_total Requests answered.\n"
        "# TYPE kv_requests_total counter\n"
        "kv_requests_total{op=\"put\",outcome=\"ok\"} 3\n"
        "# HELP kv_tables Tables now.\n"
        "# TYPE kv_tables gauge\n"
        "kv_tables 7\n");
}

TEST_CASE("exposition: label values and help are escaped, and read back unescaped") {
  ExpositionWriter out;
  out.Family("kv_node_info", MetricType::kGauge, "a \\ backslash\nand a \"quote\"");
  out.Sample({{"id", "a\"b\\c\nd"}}, uint64_t{1});
  const std::string text = out.Take();
  CHECK(text.find("# HELP kv_node_info a \\\\ backslash\\nand a \"quote\"\n") == 0);
  CHECK(text.find("kv_node_info{id=\"a\\\"b\\\\c\\nd\"} 1\n") != std::string::npos);
  Result<ParsedExposition> parsed = ParseExposition(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->families[0].help == "a \\ backslash\nand a \"quote\"");
  CHECK(parsed->Value("kv_node_info", {{"id", "a\"b\\c\nd"}}) == 1);
}

TEST_CASE("exposition: a histogram's buckets are cumulative and +Inf equals _count") {
  ExpositionWriter out;
  out.Family("kv_request_duration_seconds", MetricType::kHistogram, "Durations.");
  const std::array<double, 3> bounds = {0.001, 0.01, 0.1};
  const std::array<uint64_t, 4> buckets = {2, 0, 5, 1};  // 1 above 0.1 s
  out.Histogram({{"op", "get"}}, bounds, buckets, 0.75);
  CHECK(out.status().ok());
  CHECK(out.Take() ==
        "# HELP kv_request_duration_seconds Durations.\n"
        "# TYPE kv_request_duration_seconds histogram\n"
        "kv_request_duration_seconds_bucket{op=\"get\",le=\"0.001\"} 2\n"
        "kv_request_duration_seconds_bucket{op=\"get\",le=\"0.01\"} 2\n"
        "kv_request_duration_seconds_bucket{op=\"get\",le=\"0.1\"} 7\n"
        "kv_request_duration_seconds_bucket{op=\"get\",le=\"+Inf\"} 8\n"
        "kv_request_duration_seconds_sum{op=\"get\"} 0.75\n"
        "kv_request_duration_seconds_count{op=\"get\"} 8\n");
}

TEST_CASE("exposition: values are exact, and the special ones named as the format says") {
  CHECK(FormatMetricValue(0.1) == "0.1");
  CHECK(FormatMetricValue(5e-05) == "5e-05");
  CHECK(FormatMetricValue(1.0 / 0.0) == "+Inf");
  CHECK(FormatMetricValue(-1.0 / 0.0) == "-Inf");
  CHECK(FormatMetricValue(std::nan("")) == "NaN");
  ExpositionWriter out;
  out.Family("kv_big_total", MetricType::kCounter, "h");
  out.Sample(uint64_t{18446744073709551615u});  // not rounded through a double
  CHECK(out.Take().find("kv_big_total 18446744073709551615\n") != std::string::npos);
}

TEST_CASE("exposition: names are checked, and a bad one is left out and reported") {
  CHECK(IsValidMetricName("kv_requests_total"));
  CHECK(IsValidMetricName("a:b_c9"));
  CHECK(!IsValidMetricName(""));
  CHECK(!IsValidMetricName("9kv"));
  CHECK(!IsValidMetricName("kv-requests"));
  CHECK(IsValidLabelName("op"));
  CHECK(!IsValidLabelName("__reserved"));
  CHECK(!IsValidLabelName("a:b"));
  CHECK(!IsValidLabelName("1a"));

  ExpositionWriter out;
  out.Family("kv bad", MetricType::kGauge, "h");
  out.Sample(uint64_t{1});  // belongs to the refused family: left out too
  CHECK(out.status().code() == ErrorCode::kInvalidArgument);
  CHECK(out.status().message().find("kv bad") != std::string::npos);
  out.Family("kv_good", MetricType::kGauge, "h");
  out.Sample({{"bad-label", "x"}}, uint64_t{1});
  out.Sample({{"le", "x"}}, uint64_t{1});  // le is the histogram's
  out.Sample(uint64_t{2});
  const std::string text = out.Take();
  CHECK(text == "# HELP kv_good h\n# TYPE kv_good gauge\nkv_good 2\n");
  CHECK(ParseExposition(text).ok());
}

TEST_CASE("exposition checker: a whole valid scrape parses, with its values") {
  const std::string text =
      "# a plain comment\n"
      "# HELP up Whether it is up.\n"
      "# TYPE up gauge\n"
      "up 1 1700000000000\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"1\"} 1\n"
      "h_bucket{le=\"+Inf\"} 3\n"
      "h_sum 4.5\n"
      "h_count 3\n";
  Result<ParsedExposition> parsed = ParseExposition(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->families.size() == 2);
  CHECK(parsed->Value("up") == 1);
  CHECK(parsed->Value("h_bucket", {{"le", "+Inf"}}) == 3);
  CHECK(parsed->Find("h")->type == "histogram");
  CHECK(!parsed->Value("missing"));
}

TEST_CASE("exposition checker: each breach of the format is refused, naming its line") {
  auto refused = [](const std::string& text) {
    Result<ParsedExposition> parsed = ParseExposition(text);
    if (parsed.ok()) return false;
    return parsed.status().message().find("line") != std::string::npos ||
           parsed.status().message().find("histogram") != std::string::npos ||
           parsed.status().message().find("newline") != std::string::npos ||
           parsed.status().message().find("TYPE") != std::string::npos;
  };
  const std::string type = "# TYPE a counter\n";
  CHECK(refused("a 1\n"));                                // no TYPE
  CHECK(refused(type + "a 1"));                           // no final newline
  CHECK(refused(type + "\na 1\n"));                       // a blank line
  CHECK(refused(type + "a one\n"));                       // not a number
  CHECK(refused(type + "a -1\n"));                        // a negative counter
  CHECK(refused(type + "a{x=\"1\"} 1\na{x=\"1\"} 2\n"));  // the same series twice
  CHECK(refused(type + "a{x=\"\\t\"} 1\n"));              // an escape the format has not
  CHECK(refused(type + "a{x=\"1\",x=\"2\"} 1\n"));        // a label twice
  CHECK(refused(type + "a{x=\"1} 1\n"));                  // unclosed
  CHECK(refused(type + "a{9x=\"1\"} 1\n"));               // a bad label name
  CHECK(refused(type + "b 1\n"));                         // another family's sample
  CHECK(refused(type + "# TYPE a gauge\na 1\n"));         // TYPE twice
  CHECK(refused(type + "a 1\n# TYPE b gauge\nb 1\n# TYPE a counter\n"));  // family split
  CHECK(refused("# TYPE a wibble\n"));                                    // unknown type
  CHECK(refused("# HELP a only help\n"));                                 // HELP without TYPE
  const std::string h = "# TYPE h histogram\n";
  CHECK(refused(h + "h 1\n"));  // a histogram has no plain sample
  CHECK(refused(h + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
  CHECK(refused(h + "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
                    "h_sum 1\nh_count 1\n"));                           // le not ascending
  CHECK(refused(h + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"));     // no +Inf
  CHECK(refused(h + "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"));  // +Inf != _count
  CHECK(refused(h + "h_bucket{le=\"+Inf\"} 2\nh_count 2\n"));           // no _sum
  CHECK(refused(h + "h_bucket 2\nh_sum 1\nh_count 2\n"));               // a bucket without le
}

}  // namespace
}  // namespace kv
