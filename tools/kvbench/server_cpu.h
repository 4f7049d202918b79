// ServerCpu: what a `kvbench net` run cost the servers, as CPU time per operation. Just before
// and just after the measured phase, kvbench samples the user + system CPU time of every node of
// the cluster (StatsRequest: each node's process, getrusage RUSAGE_SELF), finding the nodes in the
// ring of the node it talks to; the growth summed over the nodes sampled both times, divided by
// the operations, is the figure. Background work (flushes, compactions, gossip) that falls in the
// run counts: the servers spent it on the run's writes or beside them.
//
// A node down on the ring, or one that does not answer, is left out and named in the note; so is
// one that restarted in between (its uptime went back: its CPU time began again). When the ring
// cannot be read, the asked node alone is sampled and the note says so.
//
// Threads: SampleServerCpu blocks for a few requests; ServerCpuPerOp is pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libkv/client/client.h"
#include "libkv/net/host_port.h"

namespace kv::bench {

struct NodeCpu {
  std::string address;  // HOST:PORT as kvbench reached it
  std::string id;
  double uptime_seconds = 0;
  uint64_t micros = 0;  // user + system
};

struct ServerCpuSample {
  std::vector<NodeCpu> nodes;      // the nodes that answered
  std::vector<std::string> notes;  // who was left out, and why
};

// Never fails: what could not be asked is in the notes (nothing sampled when the asked node
// itself does not answer).
ServerCpuSample SampleServerCpu(const HostPort& node, const ClientOptions& options);

struct ServerCpu {
  // Nullopt when no operation ran or no node was sampled both times (the note says why).
  std::optional<double> micros_per_op;
  uint64_t micros = 0;  // the growth, all counted nodes together
  int nodes = 0;        // counted: sampled before and after, the same process
  std::string note;     // the samples' notes and the nodes left out; empty when none were
};

ServerCpu ServerCpuPerOp(const ServerCpuSample& before, const ServerCpuSample& after, uint64_t ops);

}  // namespace kv::bench
