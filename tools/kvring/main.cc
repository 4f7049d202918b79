// kvring: asks one node for the ring as it sees it — a row per node (id, address, up/down,
// state, load, vnodes, ownership, seconds since last heard) and the cluster's N, R, W — or, with
// --key, that key's preference list (tools/common/ring_format.h).
// `kvring leave` makes the node leave the cluster (LeaveRequest): it streams its ranges to their
// new owners, turns left and exits; the tool polls it until then, with a progress line on a
// terminal, unless --no-wait. `kvring stats` shows the node's live figures (StatsRequest:
// memory, engine, block cache, hints; tools/common/stats_format.h). `kvring cleanup` makes the
// node remove the keys it no longer replicates (CleanupRequest), polled the same way.
// `kvring metrics` prints the node's metrics in Prometheus's text format (MetricsRequest: the text
// its HTTP API's GET /metrics serves; docs/metrics.md), or with --json that text as JSON
// (tools/common/metrics_format.h).
// Exit codes: 0 printed (or the node has left, or its cleanup is done, or with --no-wait either
// has begun), 2 usage error or a leave refused (the node is joining, or too few would remain),
// 3 the node could not answer (unreachable, timeout, refused, server error; or its metrics were
// not valid exposition text, with --json), its leave or cleanup failed, or a cleanup was refused
// because nodes are joining or leaving. `kvring remove NODE` takes a dead node out of the ring
// (remove_node.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "libkv/base/json.h"
#include "libkv/base/limits.h"
#include "libkv/client/client.h"
#include "libkv/client/node_address.h"
#include "tools/common/client_flags.h"
#include "tools/common/command_line.h"
#include "tools/common/exit_code.h"
#include "tools/common/metrics_format.h"
#include "tools/common/progress_line.h"
#include "tools/common/ring_format.h"
#include "tools/common/stats_format.h"
#include "tools/common/tool_error.h"
#include "tools/kvring/remove_node.h"

namespace {

int Fail(const kv::Status& s, bool json) {
  return kv::ReportToolError("kvring", s, json);
}

// 0, or 3 when stdout cannot take it.
int Print(const std::string& out) {
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (std::ferror(stdout)) {
    std::cerr << "kvring: writing to stdout failed\n";
    return kv::kExitUnavailable;
  }
  return kv::kExitOk;
}

std::string LeaveJson(const std::string& node, const kv::LeaveResponse& r) {
  boost::json::object out;
  out["node"] = node;
  out["state"] = kv::json::TextOr(r.state);
  out["keys_streamed"] = r.keys_streamed;
  out["bytes_streamed"] = r.bytes_streamed;
  out["seconds"] = kv::json::Round(r.seconds, 3);
  return kv::json::Serialize(out) + "\n";
}

// kvring leave: asks the node to leave, then (unless no_wait) polls it until it says it has left.
int Leave(kv::Client& client, const std::string& node, bool json, bool no_wait) {
  kv::Result<kv::LeaveResponse> r = client.Leave(kv::LeaveRequest{.status_only = false});
  if (!r.ok()) return Fail(r.status().WithContext("asking " + node + " to leave"), json);
  kv::tools::ProgressLine progress(!no_wait && kv::tools::ProgressLine().enabled());
  while (!no_wait && r->state == "leaving") {
    // The node counts the keys of a streaming pass when the pass ends: a count is shown once
    // there is one, rather than "0 keys streamed" while they stream.
    std::vector<std::string> fields = {fmt::format("leaving: {}", r->phase),
                                       fmt::format("{:.0f} s", r->seconds)};
    if (r->keys_streamed > 0 || r->bytes_streamed > 0) {
      fields.insert(fields.begin() + 1,
                    fmt::format("{} keys, {:.1f} MiB streamed in the passes done", r->keys_streamed,
                                static_cast<double>(r->bytes_streamed) / (1 << 20)));
    }
    progress.Draw(fields);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    kv::Result<kv::LeaveResponse> next = client.Leave(kv::LeaveRequest{.status_only = true});
    if (!next.ok()) {
      progress.Clear();
      return Fail(next.status().WithContext(node + " stopped answering before it said it had left"),
                  json);
    }
    r = std::move(next);
  }
  progress.Clear();
  if (!r->error.empty()) {
    return Fail(kv::Status::Unavailable(fmt::format("the leave of {} failed, it stays {}: {}", node,
                                                    r->state, r->error)),
                json);
  }
  const std::string out =
      json ? LeaveJson(node, *r)
           : (r->state == "left"
                  ? fmt::format("{} has left the cluster: {} keys streamed, {} bytes exchanged, in "
                                "{:.1f} s\n",
                                node, r->keys_streamed, r->bytes_streamed, r->seconds)
                  : fmt::format("{} is {}\n", node, r->state));
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kv::kExitOk;
}

// The disk the cleanup's rewrite gave back: what its tables lost (0 should they have grown).
uint64_t GivenBack(const kv::CleanupResponse& r) {
  return r.table_bytes_before > r.table_bytes_after ? r.table_bytes_before - r.table_bytes_after
                                                    : 0;
}

std::string CleanupJson(const std::string& node, const kv::CleanupResponse& r) {
  boost::json::object out;
  out["node"] = node;
  out["state"] = kv::json::TextOr(r.state);
  out["keys_scanned"] = r.keys_scanned;
  out["keys_removed"] = r.keys_removed;
  out["bytes_removed"] = r.bytes_removed;
  out["table_bytes_before"] = r.table_bytes_before;
  out["table_bytes_after"] = r.table_bytes_after;
  out["bytes_given_back"] = GivenBack(r);
  out["seconds"] = kv::json::Round(r.seconds, 3);
  return kv::json::Serialize(out) + "\n";
}

// kvring cleanup: starts the node's cleanup, then (unless no_wait) polls it until it ends.
int Cleanup(kv::Client& client, const std::string& node, bool json, bool no_wait) {
  kv::Result<kv::CleanupResponse> r = client.Cleanup(kv::CleanupRequest{.status_only = false});
  if (!r.ok()) return Fail(r.status().WithContext("asking " + node + " to clean up"), json);
  kv::tools::ProgressLine progress(!no_wait && kv::tools::ProgressLine().enabled());
  while (!no_wait && r->state == "running") {
    progress.Draw({fmt::format("cleanup: {} keys scanned", r->keys_scanned),
                   fmt::format("{} removed ({:.1f} MiB)", r->keys_removed,
                               static_cast<double>(r->bytes_removed) / (1 << 20)),
                   fmt::format("{:.0f} s", r->seconds)});
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    kv::Result<kv::CleanupResponse> next = client.Cleanup(kv::CleanupRequest{.status_only = true});
    if (!next.ok()) {
      progress.Clear();
      return Fail(next.status().WithContext(node + " stopped answering during its cleanup"), json);
    }
    r = std::move(next);
  }
  progress.Clear();
  if (r->state == "failed") {
    return Fail(kv::Status::Unavailable(
                    fmt::format("the cleanup of {} stopped after {} keys scanned, removing "
                                "nothing: {}",
                                node, r->keys_scanned, r->error)),
                json);
  }
  const std::string out =
      json ? CleanupJson(node, *r)
           : (r->state == "done"
                  ? fmt::format("{} cleaned up: {} keys scanned, {} removed ({} bytes); tables "
                                "{} bytes now {}, {} bytes given back; in {:.1f} s\n",
                                node, r->keys_scanned, r->keys_removed, r->bytes_removed,
                                r->table_bytes_before, r->table_bytes_after, GivenBack(*r),
                                r->seconds)
                  : fmt::format("{}: cleanup {}\n", node, r->state));
  return Print(out);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Shows the ring as one kv node sees it: every node with its status (up/down), state,\n"
      "load (bytes on disk, estimated keys), virtual nodes, share of the key space and when it\n"
      "was last heard, and the cluster's N, R and W. With a key, that key's preference list:\n"
      "the nodes that store it, in order.\n"
      "`kvring leave` makes the node leave the cluster: it streams its ranges to their new\n"
      "owners, leaves the ring and exits; kvring waits for that unless --no-wait.\n"
      "`kvring stats` shows the node's live figures: memory, tables, block cache, hints.\n"
      "`kvring metrics` prints the node's metrics in Prometheus's text format (what its\n"
      "GET /metrics serves), or with --json as JSON.\n"
      "`kvring cleanup` makes the node remove the keys it no longer replicates (run it on\n"
      "each old node once a node has joined): it rewrites its tables without them and gives\n"
      "their disk back when done; kvring waits for it unless --no-wait.\n"
      "`kvring remove NODE` takes a node that is down for good out of the ring and streams its\n"
      "ranges to their new owners from the remaining replicas.\n"
      "The node is --node, else $KV_NODE, else 127.0.0.1:7000.\n"
      "Exit codes: 0 printed (or left, cleaned up, removed), 2 usage error or leave or remove\n"
      "refused, 3 the node could not answer, its leave, cleanup or remove's streaming failed,\n"
      "or nodes are joining or leaving, 5 the credentials' role may not (leave, cleanup,\n"
      "remove, stats and metrics need role admin).",
      "kvring"};
  std::string key;
  bool json = false;
  kv::tools::ClientFlags client_flags;
  kv::tools::AddClientFlags(app, &client_flags, "Node to ask", "Give up after this long");
  app.add_option("--key", key, "Show this key's preference list instead of the ring")
      ->type_name("KEY");
  app.add_flag("--json", json,
               "Print {\"self\",\"replicas\",\"read_quorum\",\"write_quorum\",\"nodes\":[...]}, "
               "or with a key {\"key\",\"replicas\":[ids...]}");
  kv::tools::AddClientConfig(app);
  app.footer(
      "Examples:\n  kvring\n  kvring --node 10.0.0.5:7000 --json\n  kvring --key greeting\n"
      "  kvring leave --node 10.0.0.5:7000\n  kvring stats --json\n"
      "  kvring metrics --node 10.0.0.5:7000 | grep kv_requests_total\n"
      "  kvring cleanup --node 10.0.0.6:7000\n  kvring remove n4 --node 10.0.0.5:7000");
  bool no_wait = false;
  CLI::App* leave = app.add_subcommand(
      "leave",
      "Make the node leave the cluster: it streams its ranges to their new owners, leaves the "
      "ring and exits (the options above apply too)");
  leave->add_flag("--no-wait", no_wait, "Return once the node has begun leaving");
  // `kvring leave --node X`: the main options after the subcommand's name.
  leave->fallthrough();
  CLI::App* stats = app.add_subcommand(
      "stats",
      "Show the node's live figures: memory budget, memtables, tables, block cache hits and "
      "misses, write delays, hints held (--node, --json and the options above apply)");
  stats->fallthrough();
  CLI::App* metrics = app.add_subcommand(
      "metrics",
      "Print the node's metrics in Prometheus's text exposition format, as its GET /metrics "
      "serves them: requests, engine, block cache, hints, repair, gossip, connections, process "
      "(--json: as JSON; --node and the options above apply)");
  metrics->fallthrough();
  CLI::App* cleanup = app.add_subcommand(
      "cleanup",
      "Make the node remove the keys it no longer replicates, as after a node joined (the "
      "options above apply too)");
  cleanup->add_flag("--no-wait", no_wait, "Return once the cleanup has begun");
  cleanup->fallthrough();
  std::string remove_id;
  bool force = false;
  CLI::App* remove = app.add_subcommand(
      "remove",
      "Take NODE, a node that is down for good, out of the ring: its ranges are streamed to their "
      "new owners from the remaining replicas (the options above apply too)");
  remove->add_option("NODE", remove_id, "The node's id, as kvring lists it")
      ->required()
      ->type_name("NODE");
  remove->add_flag("--force", force,
                   "Remove it even when fewer than N normal nodes would remain up or other nodes "
                   "are down: keys then have fewer than N copies, and keys only it and the down "
                   "nodes held are missing until those return");
  remove->fallthrough();
  if (std::optional<int> code = kv::tools::ParseCommandLine(app, argc, argv)) return *code;
  const bool with_key = app.count("--key") > 0;
  kv::Result<kv::tools::ClientTarget> target = kv::tools::ResolveClientFlags(client_flags);
  if (!target.ok()) return Fail(target.status(), json);
  const kv::HostPort* node = &target->node;
  const kv::ClientOptions& options = target->options;
  if (leave->parsed()) {
    if (with_key) return Fail(kv::Status::InvalidArgument("leave takes no --key"), json);
    std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
    return Leave(*client, node->ToString(), json, no_wait);
  }
  if (remove->parsed()) {
    if (with_key) return Fail(kv::Status::InvalidArgument("remove takes no --key"), json);
    return kv::tools::RemoveNode(*node, options, {.node = remove_id, .force = force, .json = json});
  }
  if (cleanup->parsed()) {
    if (with_key) return Fail(kv::Status::InvalidArgument("cleanup takes no --key"), json);
    std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
    return Cleanup(*client, node->ToString(), json, no_wait);
  }
  if (stats->parsed()) {
    if (with_key) return Fail(kv::Status::InvalidArgument("stats takes no --key"), json);
    std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
    kv::Result<kv::StatsResponse> r = client->Stats();
    if (!r.ok()) return Fail(r.status(), json);
    return Print(json ? kv::FormatStatsJson(*r) : kv::FormatStatsText(*r, node->ToString()));
  }
  if (metrics->parsed()) {
    if (with_key) return Fail(kv::Status::InvalidArgument("metrics takes no --key"), json);
    std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
    kv::Result<kv::MetricsResponse> r = client->Metrics();
    if (!r.ok()) return Fail(r.status(), json);
    if (!json) return Print(r->text);
    kv::Result<std::string> out = kv::FormatMetricsJson(node->ToString(), r->text);
    if (!out.ok()) return Fail(kv::Status::Unavailable(out.status().message()), json);
    return Print(*out);
  }
  if (with_key) {
    if (kv::Status s = kv::CheckKey(key); !s.ok()) return Fail(s.WithContext("--key"), json);
  }

  std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
  kv::Result<kv::RingResponse> ring = client->Ring(with_key ? key : std::string());
  if (!ring.ok()) return Fail(ring.status(), json);

  std::string out;
  if (with_key) {
    out = json ? kv::FormatPreferenceListJson(*ring) : kv::FormatPreferenceListText(*ring);
  } else {
    out = json ? kv::FormatRingJson(*ring) : kv::FormatRingText(*ring, node->ToString());
  }
  return Print(out);
}
