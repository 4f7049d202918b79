// `kvbench gossip`: how membership and failure detection scale with the cluster's size, measured
// on a simulated cluster in this process (GossipSimulation, libkv/membership/gossip_simulation.h:
// the real tables, messages and detector, virtual time, no sockets). For each node count:
//
//   1. warm-up: every node starts knowing the others (as from its membership file) and gossips
//      for `warmup_rounds`, so every detector has learnt the heartbeats' rhythm;
//   2. spread: `samples` nodes in turn make a new state (a round's heartbeat); the rounds until
//      every other node holds it. Gossip's bytes are counted over this phase;
//   3. join: a new node, configured with the seeds only; the rounds from its first round until
//      every other node knows it;
//   4. detection: a node stops; the seconds until each other node convicts it (phi at the real
//      threshold, 8).
//
// A round is one gossip interval (kvnode's: 1 s), so rounds and seconds are the same figure at
// the default. Threads: RunGossipBench blocks the calling thread; one thread of CPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libkv/base/status.h"

namespace kv::bench {

struct GossipBenchOptions {
  std::vector<size_t> nodes = {10, 100, 1000};
  uint64_t seed = 1;
  double loss = 0;              // probability that any one gossip message is lost
  uint64_t interval_ms = 1000;  // kvnode's gossip interval
  int samples = 8;              // spreads measured per node count
  int warmup_rounds = 20;
  bool progress = false;  // a line on stderr per phase
};

struct Spread {
  double median = 0, max = 0;
};

struct GossipBenchRow {
  size_t nodes = 0;
  // nullopt: not complete within the phase's limit (a bug, or the cluster cannot converge).
  std::optional<Spread> spread_rounds;
  std::optional<double> join_rounds;
  std::optional<Spread> detection_seconds;  // over the observers of the stopped node
  // Gossip per node per second in the spread phase: the encoded messages (docs/formats.md,
  // "Gossip"), and with the frames that carry them (docs/formats.md, "Frames").
  double payload_bytes_per_node_per_second = 0;
  double wire_bytes_per_node_per_second = 0;
  double mean_syn_bytes = 0, mean_ack_bytes = 0, mean_ack2_bytes = 0;
  double exchanges_per_node_per_second = 0;
  // (observer, live node) pairs seeing the live node down at the end of the spread phase.
  size_t false_downs = 0;
  double interval_seconds = 1;
  double cpu_seconds = 0;  // this process's, for the whole simulation of this node count
  uint64_t node_rounds = 0;

  bool complete() const { return spread_rounds && join_rounds && detection_seconds; }
};

// InvalidArgument for a bad option (a node count below 2 or above 4,096, no samples).
Result<std::vector<GossipBenchRow>> RunGossipBench(const GossipBenchOptions& options);

// A header and a line per node count; `--json`: one object per node count, a line each.
std::string FormatGossipHuman(const GossipBenchOptions& options,
                              const std::vector<GossipBenchRow>& rows);
std::string FormatGossipJson(const GossipBenchOptions& options, const GossipBenchRow& row);

}  // namespace kv::bench
