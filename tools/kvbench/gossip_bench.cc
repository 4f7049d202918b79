#include "tools/kvbench/gossip_bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "libkv/base/json.h"
#include "libkv/membership/gossip_simulation.h"
#include "libkv/membership/membership_format.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/wire_format.h"

namespace kv::bench {

namespace {

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

Spread SpreadOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.back()};
}

// What a frame adds to a gossip message: its header and the message body's length field.
template <class M>
size_t FrameOverhead() {
  return wire::kFrameHeaderBytes + EncodeMessage(M{}).size();
}

void Progress(const GossipBenchOptions& options, size_t nodes, const char* phase) {
  if (options.progress) std::fprintf(stderr, "kvbench gossip: %zu nodes: %s\n", nodes, phase);
}

GossipBenchRow RunOne(const GossipBenchOptions& options, size_t nodes) {
  const double cpu_start = CpuSeconds();
  GossipSimulationOptions sim_options;
  sim_options.nodes = nodes;
  sim_options.seed = options.seed;
  sim_options.loss = options.loss;
  sim_options.interval_micros = options.interval_ms * 1000;
  sim_options.tick_micros = sim_options.interval_micros / 100;
  GossipSimulation sim(sim_options);
  const uint64_t round = sim_options.interval_micros;
  // Generous limits: a phase that needs them has found something wrong, and says so by a null.
  const uint64_t limit = 300 * round;

  GossipBenchRow row;
  row.nodes = nodes;
  row.interval_seconds = static_cast<double>(round) / 1e6;
  Progress(options, nodes, "warm-up");
  sim.RunFor(static_cast<uint64_t>(options.warmup_rounds) * round);

  Progress(options, nodes, "spread");
  const GossipTraffic traffic_before = sim.traffic();
  const uint64_t spread_start = sim.now();
  // Nodes spread over the cluster, seeds included (they are nodes like the others here); their
  // new states spread side by side.
  std::vector<size_t> sources;
  for (int k = 0; k < options.samples; ++k)
    sources.push_back(static_cast<size_t>(k) * nodes / static_cast<size_t>(options.samples));
  std::vector<double> spreads;
  for (const std::optional<uint64_t>& took : sim.MeasureSpreads(sources, limit))
    if (took) spreads.push_back(static_cast<double>(*took) / static_cast<double>(round));
  if (spreads.size() == static_cast<size_t>(options.samples)) row.spread_rounds = SpreadOf(spreads);
  // The bytes are counted over at least 10 rounds, however fast the spreads were.
  const uint64_t window = 10 * round;
  if (sim.now() - spread_start < window) sim.RunFor(spread_start + window - sim.now());
  const GossipTraffic traffic = sim.traffic() - traffic_before;
  const double seconds = static_cast<double>(sim.now() - spread_start) / 1e6;
  const double per_node_second = static_cast<double>(nodes) * seconds;
  row.payload_bytes_per_node_per_second = static_cast<double>(traffic.bytes()) / per_node_second;
  // Four frames an exchange: the SYN, its ACK, the ACK2 and the GossipDone that answers it.
  const double frames = static_cast<double>(
      traffic.syns * FrameOverhead<GossipSyn>() + traffic.acks * FrameOverhead<GossipAck>() +
      traffic.ack2s * (FrameOverhead<GossipAck2>() + FrameOverhead<GossipDone>()));
  row.wire_bytes_per_node_per_second =
      row.payload_bytes_per_node_per_second + frames / per_node_second;
  auto mean = [](uint64_t bytes, uint64_t count) {
    return count == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(count);
  };
  row.mean_syn_bytes = mean(traffic.syn_bytes, traffic.syns);
  row.mean_ack_bytes = mean(traffic.ack_bytes, traffic.acks);
  row.mean_ack2_bytes = mean(traffic.ack2_bytes, traffic.ack2s);
  row.exchanges_per_node_per_second = static_cast<double>(traffic.syns) / per_node_second;
  row.false_downs = sim.FalseDowns();

  Progress(options, nodes, "join");
  if (std::optional<uint64_t> took = sim.MeasureJoin(limit))
    row.join_rounds = static_cast<double>(*took) / static_cast<double>(round);

  Progress(options, nodes, "detection");
  // A node that is no seed (the seeds are the first ones), half-way through the list.
  const size_t victim = std::max<size_t>(nodes / 2, std::min<size_t>(sim_options.seeds, nodes - 1));
  if (std::optional<std::vector<uint64_t>> took = sim.MeasureDetection(victim, limit)) {
    std::vector<double> seconds_each;
    for (uint64_t t : *took) seconds_each.push_back(static_cast<double>(t) / 1e6);
    row.detection_seconds = SpreadOf(seconds_each);
  }
  row.node_rounds = sim.rounds_run();
  row.cpu_seconds = CpuSeconds() - cpu_start;
  return row;
}

std::string Figure(const std::optional<double>& x, const char* format) {
  return x ? fmt::format(fmt::runtime(format), *x) : std::string("-");
}

}  // namespace

Result<std::vector<GossipBenchRow>> RunGossipBench(const GossipBenchOptions& options) {
  if (options.nodes.empty()) return Status::InvalidArgument("--nodes: give at least one count");
  for (size_t n : options.nodes)
    if (n < 2 || n >= kMaxGossipNodes)
      return Status::InvalidArgument(fmt::format(
          "--nodes: {} nodes; give counts from 2 to {} (a membership table holds at most {}, "
          "and the join adds one)",
          n, kMaxGossipNodes - 1, kMaxGossipNodes));
  if (options.samples < 1) return Status::InvalidArgument("--samples: at least 1");
  if (options.interval_ms < 1) return Status::InvalidArgument("--interval: at least 1 ms");
  std::vector<GossipBenchRow> rows;
  for (size_t n : options.nodes) rows.push_back(RunOne(options, n));
  return rows;
}

std::string FormatGossipHuman(const GossipBenchOptions& options,
                              const std::vector<GossipBenchRow>& rows) {
  std::string out = fmt::format(
      "gossip, simulated: {} ms rounds, threshold 8, {:.0f}% message loss, seed {}, {} spreads "
      "after {} rounds of warm-up\n",
      options.interval_ms, options.loss * 100, options.seed, options.samples,
      options.warmup_rounds);
  out += fmt::format("{:>6} {:>6} {:>15} {:>7} {:>15} {:>11} {:>8} {:>8} {:>6} {:>8}\n", "nodes",
                     "log2N", "spread rounds", "join", "detection s", "gossip B/s", "SYN B",
                     "ACK B", "false", "CPU s");
  out += fmt::format("{:>6} {:>6} {:>15} {:>7} {:>15} {:>11} {:>8} {:>8} {:>6} {:>8}\n", "", "",
                     "median / max", "rounds", "median / max", "per node", "mean", "mean", "downs",
                     "");
  for (const GossipBenchRow& r : rows) {
    const std::string spread =
        r.spread_rounds
            ? fmt::format("{:.2f} / {:.2f}", r.spread_rounds->median, r.spread_rounds->max)
            : "-";
    const std::string detection =
        r.detection_seconds
            ? fmt::format("{:.2f} / {:.2f}", r.detection_seconds->median, r.detection_seconds->max)
            : "-";
    out += fmt::format(
        "{:>6} {:>6.2f} {:>15} {:>7} {:>15} {:>11.0f} {:>8.0f} {:>8.0f} {:>6} "
        "{:>8.2f}\n",
        r.nodes, std::log2(static_cast<double>(r.nodes)), spread, Figure(r.join_rounds, "{:.2f}"),
        detection, r.wire_bytes_per_node_per_second, r.mean_syn_bytes, r.mean_ack_bytes,
        r.false_downs, r.cpu_seconds);
  }
  return out;
}

std::string FormatGossipJson(const GossipBenchOptions& options, const GossipBenchRow& r) {
  boost::json::object out;
  auto put = [&](const char* name, std::optional<double> x, int decimals) {
    if (x)
      out[name] = json::Round(*x, decimals);
    else
      out[name] = nullptr;
  };
  out["nodes"] = r.nodes;
  out["interval_seconds"] = json::Round(r.interval_seconds, 3);
  out["loss"] = options.loss;
  out["seed"] = options.seed;
  out["samples"] = options.samples;
  out["warmup_rounds"] = options.warmup_rounds;
  out["log2_nodes"] = json::Round(std::log2(static_cast<double>(r.nodes)), 3);
  auto spread = [](const std::optional<Spread>& s, bool median) -> std::optional<double> {
    if (!s) return std::nullopt;
    return median ? s->median : s->max;
  };
  put("spread_rounds_median", spread(r.spread_rounds, true), 2);
  put("spread_rounds_max", spread(r.spread_rounds, false), 2);
  put("join_rounds", r.join_rounds, 2);
  put("detection_seconds_median", spread(r.detection_seconds, true), 2);
  put("detection_seconds_max", spread(r.detection_seconds, false), 2);
  out["payload_bytes_per_node_per_second"] = json::Round(r.payload_bytes_per_node_per_second, 0);
  out["wire_bytes_per_node_per_second"] = json::Round(r.wire_bytes_per_node_per_second, 0);
  out["mean_syn_bytes"] = json::Round(r.mean_syn_bytes, 0);
  out["mean_ack_bytes"] = json::Round(r.mean_ack_bytes, 0);
  out["mean_ack2_bytes"] = json::Round(r.mean_ack2_bytes, 0);
  out["exchanges_per_node_per_second"] = json::Round(r.exchanges_per_node_per_second, 3);
  out["false_downs"] = r.false_downs;
  out["node_rounds"] = r.node_rounds;
  out["cpu_seconds"] = json::Round(r.cpu_seconds, 3);
  out["cpu_us_per_node_round"] = json::Round(
      r.node_rounds == 0 ? 0 : r.cpu_seconds * 1e6 / static_cast<double>(r.node_rounds), 1);
  return json::Serialize(out);
}

}  // namespace kv::bench
