// kvrepair: runs anti-entropy now on one node. It asks the node for the token ranges it
// replicates (RepairRequest{list_ranges}), then has it repair each of them (or only --range) with
// every other replica of the range, one call per range, and adds up the figures each call
// returns. On a terminal a progress bar on stderr is redrawn after each range; then a summary on
// stdout (or one JSON object with --json).
// Exit codes: 0 every range converged, 2 usage error, 3 a replica could not be reached (the
// node's problems are printed on stderr) or the node could not answer.
// With --status it runs nothing: it asks the node for each range's last complete repair and
// whether tombstones may be purged there (RepairStatusRequest) and prints them; exit 0, or 6 when
// some range has had no complete repair within the node's tombstone grace.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "libkv/base/human_text.h"
#include "libkv/base/json.h"
#include "libkv/client/client.h"
#include "libkv/client/node_address.h"
#include "tools/common/client_flags.h"
#include "tools/common/command_line.h"
#include "tools/common/exit_code.h"
#include "tools/common/progress_line.h"
#include "tools/common/repair_status_format.h"
#include "tools/common/tool_error.h"

namespace {

int Fail(const kv::Status& s, bool json) {
  return kv::ReportToolError("kvrepair", s, json);
}

// A token: decimal, or hexadecimal after 0x / 0X; the whole text, in range for u64.
std::optional<uint64_t> ParseToken(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "START:END" -> the range (START, END].
kv::Result<kv::RepairRange> ParseRange(std::string_view text) {
  const size_t colon = text.find(':');
  std::optional<uint64_t> start, end;
  if (colon != std::string_view::npos) {
    start = ParseToken(text.substr(0, colon));
    end = ParseToken(text.substr(colon + 1));
  }
  if (!start || !end) {
    return kv::Status::InvalidArgument(
        fmt::format("--range '{}': want START:END, two u64 tokens in decimal or 0x-hex", text));
  }
  return kv::RepairRange{.start = *start, .end = *end};
}

struct Totals {
  uint64_t ranges_done = 0;
  uint64_t keys_compared = 0;
  uint64_t keys_differing = 0;
  uint64_t keys_transferred = 0;
  uint64_t keys_repaired = 0;
  uint64_t bytes_exchanged = 0;
  uint32_t replicas_unreachable = 0;  // the most in any one range
  uint64_t ranges_unconverged = 0;    // ranges with a replica unreachable or a problem
};

// The bar on the progress line: what fits of it on the terminal, most important first.
void DrawProgress(kv::tools::ProgressLine& line, const Totals& t, uint64_t total) {
  const size_t bar_width = std::clamp<size_t>(kv::tools::TerminalColumns() / 4, 8, 26);
  line.Draw({kv::tools::ProgressLine::Bar(t.ranges_done, total, bar_width),
             fmt::format("{}/{} ranges", t.ranges_done, total),
             fmt::format("{} keys compared", t.keys_compared),
             fmt::format("{} repaired", t.keys_repaired),
             kv::FormatBinaryBytes(t.bytes_exchanged) + " exchanged"});
}

std::string SummaryJson(const Totals& t, double seconds, bool converged) {
  boost::json::object out;
  out["ranges"] = t.ranges_done;
  out["keys_compared"] = t.keys_compared;
  out["keys_differing"] = t.keys_differing;
  out["keys_transferred"] = t.keys_transferred;
  out["keys_repaired"] = t.keys_repaired;
  out["bytes_exchanged"] = t.bytes_exchanged;
  out["seconds"] = kv::json::Round(seconds, 3);
  out["replicas_unreachable"] = t.replicas_unreachable;
  out["ranges_unconverged"] = t.ranges_unconverged;
  out["converged"] = converged;
  return kv::json::Serialize(out) + "\n";
}

std::string SummaryText(const Totals& t, double seconds, bool converged, const std::string& node) {
  std::string out = fmt::format("repair of {}: {} range{} in {:.2f}s, {}\n", node, t.ranges_done,
                                t.ranges_done == 1 ? "" : "s", seconds,
                                converged ? "converged" : "NOT converged");
  out += fmt::format("  keys compared         {}\n", t.keys_compared);
  out += fmt::format("  keys differing        {}\n", t.keys_differing);
  out += fmt::format("  keys transferred      {}\n", t.keys_transferred);
  out += fmt::format("  keys repaired         {}\n", t.keys_repaired);
  out += fmt::format("  bytes exchanged       {} ({})\n", t.bytes_exchanged,
                     kv::FormatBinaryBytes(t.bytes_exchanged));
  out += fmt::format("  replicas unreachable  {}", t.replicas_unreachable);
  if (t.ranges_unconverged > 0) {
    out += fmt::format(" (in {} of {} ranges)", t.ranges_unconverged, t.ranges_done);
  }
  out += '\n';
  return out;
}

// kvrepair --status: prints where each range stands; exit 0, or 6 when some range is overdue.
int ShowStatus(kv::Client& client, const std::string& asked, bool json) {
  kv::Result<kv::RepairStatusResponse> status = client.RepairStatus();
  if (!status.ok()) return Fail(status.status().WithContext("asking the repair status"), json);
  const std::string out =
      json ? kv::FormatRepairStatusJson(*status) : kv::FormatRepairStatusText(*status, asked);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (std::ferror(stdout)) {
    std::cerr << "kvrepair: writing to stdout failed\n";
    return kv::kExitUnavailable;
  }
  return kv::OverdueRanges(*status) > 0 ? kv::kExitRepairOverdue : kv::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Runs anti-entropy now on one kv node: for every token range the node replicates (or only\n"
      "--range), the node compares its Merkle tree of the range with every other replica's and\n"
      "exchanges only the keys that differ, merging them by vector clock.\n"
      "The node is --node, else $KV_NODE, else 127.0.0.1:7000.\n"
      "With --status it repairs nothing: it shows each range's last complete repair and whether\n"
      "tombstones may be purged there.\n"
      "Exit codes: 0 every range converged, 2 usage error, 3 a replica could not be reached\n"
      "or the node could not answer, 5 the credentials' role may not (repair needs role admin),\n"
      "6 (--status) some range has had no complete repair within the tombstone grace.",
      "kvrepair"};
  std::string range_flag;
  bool json = false;
  bool status_only = false;
  kv::tools::ClientFlags client_flags;
  client_flags.timeout_ms = 600000;
  kv::tools::AddClientFlags(app, &client_flags, "Node to repair",
                            "Give up on a call (one range) after this long");
  CLI::Option* range_option =
      app.add_option("--range", range_flag,
                     "Repair only the token range (START, END]; tokens in decimal or 0x-hex")
          ->type_name("START:END");
  app.add_flag("--status", status_only,
               "Repair nothing: show each range's last complete repair (time and age, or never) "
               "and whether tombstones may be purged there; exit 6 when one has had none within "
               "the tombstone grace")
      ->excludes(range_option);
  app.add_flag("--json", json,
               "Print {\"ranges\",\"keys_compared\",\"keys_differing\",\"keys_transferred\","
               "\"keys_repaired\",\"bytes_exchanged\",\"seconds\",\"replicas_unreachable\","
               "\"ranges_unconverged\",\"converged\"}; with --status, {\"id\",\"grace_seconds\","
               "\"overdue_ranges\",\"ranges\":[…]} (man kvrepair)");
  kv::tools::AddClientConfig(app);
  app.footer(
      "Examples:\n  kvrepair\n  kvrepair --node 10.0.0.5:7000 --json\n  kvrepair --status\n"
      "  kvrepair --range 0x4000000000000000:0x8000000000000000");
  if (std::optional<int> code = kv::tools::ParseCommandLine(app, argc, argv)) return *code;
  kv::Result<kv::tools::ClientTarget> target = kv::tools::ResolveClientFlags(client_flags);
  if (!target.ok()) return Fail(target.status(), json);
  const kv::HostPort* node = &target->node;
  const kv::ClientOptions& options = target->options;
  std::vector<kv::RepairRange> ranges;
  if (app.count("--range") > 0) {
    kv::Result<kv::RepairRange> range = ParseRange(range_flag);
    if (!range.ok()) return Fail(range.status(), json);
    ranges.push_back(*range);
  }

  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
  if (status_only) return ShowStatus(*client, node->ToString(), json);
  if (ranges.empty()) {
    kv::Result<kv::RepairResponse> listed = client->Repair({.list_ranges = true});
    if (!listed.ok()) return Fail(listed.status().WithContext("listing the ranges"), json);
    ranges = std::move(listed->ranges);
  }

  Totals totals;
  std::map<std::string, uint64_t> problems;  // problem text -> ranges it was reported for
  {
    kv::tools::ProgressLine bar;
    DrawProgress(bar, totals, ranges.size());
    for (const kv::RepairRange& range : ranges) {
      kv::Result<kv::RepairResponse> r =
          client->Repair({.range_start = range.start, .range_end = range.end});
      if (!r.ok()) {
        bar.Clear();
        return Fail(
            r.status().WithContext(fmt::format("range ({:#x}, {:#x}] ({} of {} done)", range.start,
                                               range.end, totals.ranges_done, ranges.size())),
            json);
      }
      ++totals.ranges_done;
      totals.keys_compared += r->keys_compared;
      totals.keys_differing += r->keys_differing;
      totals.keys_transferred += r->keys_transferred;
      totals.keys_repaired += r->keys_repaired;
      totals.bytes_exchanged += r->bytes_exchanged;
      totals.replicas_unreachable = std::max(totals.replicas_unreachable, r->replicas_unreachable);
      if (r->replicas_unreachable > 0 || !r->problems.empty()) {
        ++totals.ranges_unconverged;
        std::string problem =
            r->problems.empty() ? fmt::format("{} replica(s) unreachable", r->replicas_unreachable)
                                : r->problems;
        ++problems[problem];
      }
      DrawProgress(bar, totals, ranges.size());
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool converged = totals.ranges_unconverged == 0;

  for (const auto& [problem, count] : problems) {
    std::cerr << "kvrepair: " << problem << " (in " << count << " range" << (count == 1 ? "" : "s")
              << ")\n";
  }
  const std::string out = json ? SummaryJson(totals, seconds, converged)
                               : SummaryText(totals, seconds, converged, node->ToString());
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (std::ferror(stdout)) {
    std::cerr << "kvrepair: writing to stdout failed\n";
    return kv::kExitUnavailable;
  }
  return converged ? kv::kExitOk : kv::kExitUnavailable;
}
