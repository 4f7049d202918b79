// NodeService::MetricsText: the node's metrics in Prometheus's text format, from the figures the
// node keeps anyway (AnswerStats' for the engine, cache, hints and memory; the coordinator's,
// hint store's and anti-entropy's counts; gossip's table; /proc for the process). Every metric is
// listed, with its meaning, in docs/metrics.md: change both together.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>

#include "libkv/node/node_service.h"
#include "libkv/observability/exposition.h"
#include "libkv/observability/process_figures.h"

namespace kv {

namespace {

double Seconds(uint64_t micros) {
  return static_cast<double>(micros) / 1e6;
}

void Counter(ExpositionWriter& out, std::string_view name, std::string_view help, uint64_t value) {
  out.Family(name, MetricType::kCounter, help);
  out.Sample(value);
}
void Counter(ExpositionWriter& out, std::string_view name, std::string_view help, double value) {
  out.Family(name, MetricType::kCounter, help);
  out.Sample(value);
}
void Gauge(ExpositionWriter& out, std::string_view name, std::string_view help, uint64_t value) {
  out.Family(name, MetricType::kGauge, help);
  out.Sample(value);
}
void Gauge(ExpositionWriter& out, std::string_view name, std::string_view help, double value) {
  out.Family(name, MetricType::kGauge, help);
  out.Sample(value);
}

void WriteEngine(ExpositionWriter& out, const StatsResponse& s) {
  Gauge(out, "kv_memtable_bytes", "Memory of the memtables now, the active one and those flushing.",
        s.memtable_memory);
  Gauge(out, "kv_memtable_peak_bytes", "The most the memtables have held at once.",
        s.memtable_memory_peak);
  Gauge(out, "kv_immutable_memtables", "Memtables full and waiting to be flushed, now.",
        s.immutable_memtables);
  Gauge(out, "kv_tables", "SSTables of the engine now.", s.tables);
  Gauge(out, "kv_table_bytes", "Bytes of the engine's SSTables on disk now.", s.table_bytes);
  Gauge(out, "kv_table_index_bytes", "Memory of the open SSTables' indexes now.",
        s.table_index_memory);
  Counter(out, "kv_flushes_total", "Memtables flushed to SSTables.", s.flushes);
  Counter(out, "kv_compactions_total", "Compactions the engine ran.", s.compactions);
  Counter(out, "kv_commit_log_syncs_total", "fsyncs of the commit log (one per group commit).",
          s.log_syncs);
  Counter(out, "kv_commit_log_records_total", "Records appended to the commit log.", s.log_records);
  Counter(out, "kv_bloom_skips_total", "SSTable reads a bloom filter saved.", s.bloom_skips);
  Counter(out, "kv_bloom_false_positives_total",
          "SSTable reads a bloom filter let through for a key the table did not hold.",
          s.bloom_false_positives);
  Counter(out, "kv_write_delays_total",
          "Writes slowed down because flushing or compaction fell behind.", s.write_delays);
  Counter(out, "kv_write_delay_seconds_total", "Time writes spent slowed down.",
          Seconds(s.write_delay_micros));
  Counter(out, "kv_write_stalls_total",
          "Writes stopped until a flush finished (the memtables were full).", s.write_stalls);
  Counter(out, "kv_write_stall_seconds_total", "Time writes spent stopped.",
          Seconds(s.write_stall_micros));
  Gauge(out, "kv_block_cache_capacity_bytes", "The block cache's size.", s.block_cache_capacity);
  Gauge(out, "kv_block_cache_bytes", "Data blocks in the block cache now.", s.block_cache_bytes);
  Gauge(out, "kv_block_cache_pinned_bytes",
        "SSTables' indexes and filters held in the block cache now.", s.block_cache_pinned);
  Counter(out, "kv_block_cache_hits_total", "Block reads the block cache served.",
          s.block_cache_hits);
  Counter(out, "kv_block_cache_misses_total", "Block reads that went to the SSTable file.",
          s.block_cache_misses);
  Gauge(out, "kv_memory_budget_bytes", "The node's memory budget (--memory-budget).",
        s.memory_budget);
  Gauge(out, "kv_memtable_share_bytes", "The memtables' share of the memory budget.",
        s.memtable_share);
  Gauge(out, "kv_connection_share_bytes",
        "The connections' share of the memory budget (requests in flight).", s.connection_share);
  Gauge(out, "kv_merkle_cache_share_bytes", "The Merkle tree cache's share of the memory budget.",
        s.merkle_cache_share);
  Gauge(out, "kv_merkle_cache_bytes", "Merkle trees cached for peers' repair sessions, now.",
        s.merkle_cache_bytes);
  Counter(out, "kv_tombstones_purged_total",
          "Deleted keys compaction dropped for good (every replica had the tombstone).",
          s.tombstones_purged);
  Counter(out, "kv_connection_waits_total",
          "Times connections stopped reading because the connections' memory share was spent.",
          s.connection_waits);
}

void WriteProcess(ExpositionWriter& out, const StatsResponse& s) {
  Counter(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
          Seconds(s.cpu_user_micros + s.cpu_system_micros));
  const ProcessFigures p = ReadProcessFigures();
  if (p.resident_bytes)
    Gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
          *p.resident_bytes);
  if (p.virtual_bytes)
    Gauge(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", *p.virtual_bytes);
  if (p.start_time_seconds)
    Gauge(out, "process_start_time_seconds",
          "Start time of the process since unix epoch in seconds.", *p.start_time_seconds);
  if (p.open_fds) Gauge(out, "process_open_fds", "Number of open file descriptors.", *p.open_fds);
  if (p.max_fds)
    Gauge(out, "process_max_fds", "Maximum number of open file descriptors.", *p.max_fds);
}

}  // namespace

std::string NodeService::MetricsText() const {
  const StatsResponse stats = AnswerStats();
  ExpositionWriter out;
  out.Family("kv_node_info", MetricType::kGauge,
             "Always 1: this node's id and the kv version it runs.");
  out.Sample({{"id", identity_.id}, {"version", KV_VERSION}}, uint64_t{1});

  request_metrics_.Write(out);

  const CoordinatorCounts c = coordinator_->counts();
  Counter(out, "kv_coordinator_read_quorum_failures_total",
          "Gets this node coordinated that fewer than R replicas (or than the local quorum "
          "asked) answered (failed).",
          c.read_quorum_failures);
  Counter(out, "kv_coordinator_write_quorum_failures_total",
          "Writes this node coordinated that fewer than W replicas (or than the local quorum "
          "asked) acknowledged.",
          c.write_quorum_failures);
  Counter(out, "kv_coordinator_maybe_applied_writes_total",
          "Writes this node coordinated and answered as maybe applied (outcome unknown).",
          c.maybe_applied);
  Counter(out, "kv_coordinator_read_repairs_total",
          "Copies read repair sent to replicas that returned less than the others.",
          c.read_repairs);
  Counter(out, "kv_coordinator_forwarded_writes_total",
          "Writes this node handed to a replica of the key (it is not one).", c.forwarded_writes);

  const HintStats hints = hints_->stats();
  Gauge(out, "kv_hints", "Hints this node holds for down nodes, now.", stats.hints_held);
  Gauge(out, "kv_hint_bytes", "Bytes of the hints this node holds, now.", stats.hint_bytes);
  Counter(out, "kv_hints_stored_total",
          "Hints this node stored (as a stand-in, or for a replica that missed a write).",
          hints.stored);
  Counter(out, "kv_hints_delivered_total", "Hints handed off to their node and deleted here.",
          hints.delivered);
  Counter(out, "kv_hints_expired_total", "Hints dropped undelivered, past the hint window.",
          hints.expired);

  WriteEngine(out, stats);

  if (parts_.connections_open)
    Gauge(out, "kv_connections",
          "Connections open to this node now: clients, peers and the HTTP API's.",
          parts_.connections_open());

  const RingResponse ring = gossiper_->Describe("", quorum_);
  static constexpr std::array<NodeStatus, 4> kStatuses = {NodeStatus::kJoining, NodeStatus::kNormal,
                                                          NodeStatus::kLeaving, NodeStatus::kLeft};
  out.Family("kv_nodes", MetricType::kGauge,
             "Nodes of the cluster as this node's gossip sees them, by status and whether its "
             "failure detector shows them up (this node included, as up).");
  for (NodeStatus status : kStatuses) {
    const std::string_view name = NodeStatusName(status);
    for (bool up : {true, false}) {
      uint64_t n = 0;
      for (const RingNodeInfo& node : ring.nodes)
        n += node.state == name && (node.up || node.id == ring.self) == up;
      out.Sample({{"status", name}, {"state", up ? "up" : "down"}}, n);
    }
  }
  out.Family("kv_node_status", MetricType::kGauge,
             "1 for this node's own status (joining, normal, leaving, left), 0 for the others.");
  const NodeStatus self = gossiper_->self_status();
  for (NodeStatus status : kStatuses)
    out.Sample({{"status", NodeStatusName(status)}}, uint64_t{status == self});

  const AntiEntropy::RepairTotals repair = anti_entropy_->totals();
  Counter(out, "kv_repairs_total",
          "Repairs of a token range this node ran (kvrepair, background rounds, streaming).",
          repair.ranges);
  Counter(out, "kv_repairs_incomplete_total",
          "Repairs of a range in which a session with a replica failed.", repair.ranges_incomplete);
  Counter(out, "kv_repair_keys_compared_total", "Keys the repairs compared with other replicas.",
          repair.keys_compared);
  Counter(out, "kv_repair_keys_repaired_total", "Keys the repairs found different and repaired.",
          repair.keys_repaired);
  Counter(out, "kv_repair_bytes_total", "Bytes the repairs exchanged with other replicas.",
          repair.bytes_exchanged);
  Gauge(out, "kv_repair_last_complete_timestamp_seconds",
        "When the last repair with no failed session ended, in seconds since the epoch; 0: none.",
        Seconds(repair.last_complete_micros));
  const MemoryShare::Figures sessions = anti_entropy_->session_memory();
  Gauge(out, "kv_repair_session_share_bytes",
        "Anti-entropy sessions' share of the memory budget (trees and slices of keys).",
        sessions.capacity);
  Gauge(out, "kv_repair_session_bytes",
        "Memory anti-entropy sessions (as initiator and responder) hold now.", sessions.used);
  Gauge(out, "kv_repair_session_peak_bytes",
        "The most memory anti-entropy sessions held at once since the node started.",
        sessions.peak);

  WriteProcess(out, stats);
  if (!out.status().ok())
    parts_.logger->error("metrics: {} (left out of the text)", out.status().ToString());
  return out.Take();
}

}  // namespace kv
