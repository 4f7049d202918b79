#include "libkv/net/admin_report.h"

#include "libkv/base/json.h"

namespace kv {

namespace {

double HitRatio(const StatsResponse& s) {
  const uint64_t lookups = s.block_cache_hits + s.block_cache_misses;
  return lookups == 0 ? 0 : static_cast<double>(s.block_cache_hits) / static_cast<double>(lookups);
}

}  // namespace

// Node ids and addresses come from the node's flags: UTF-8 in practice, but the output must stay
// valid JSON whatever the peer sent (json::TextOr).
std::string FormatRingJson(const RingResponse& ring) {
  boost::json::object out;
  out["self"] = json::TextOr(ring.self);
  out["replicas"] = ring.replicas;
  out["read_quorum"] = ring.read_quorum;
  out["write_quorum"] = ring.write_quorum;
  boost::json::array nodes;
  for (const RingNodeInfo& n : ring.nodes) {
    boost::json::object node;
    node["id"] = json::TextOr(n.id);
    node["address"] = json::TextOr(n.address);
    node["status"] = n.up ? "up" : "down";
    node["state"] = json::TextOr(n.state);
    node["vnodes"] = n.vnodes;
    node["ownership"] = json::Round(n.ownership, 6);
    node["primary_ownership"] = json::Round(n.primary_ownership, 6);
    if (n.seconds_since_heard < 0) {
      node["seconds_since_heard"] = nullptr;
    } else {
      node["seconds_since_heard"] = json::Round(n.seconds_since_heard, 3);
    }
    if (n.load_stated) {
      node["load"] = {{"disk_bytes", n.disk_bytes}, {"keys", n.keys}};
    } else {
      node["load"] = nullptr;
    }
    node["hints_pending"] = n.hints_pending;
    node["generation"] = n.generation;
    node["clock_id"] = json::TextOr(n.clock_id);
    node["zone"] = n.zone.empty() ? boost::json::value(nullptr) : json::TextOr(n.zone);
    nodes.push_back(std::move(node));
  }
  out["nodes"] = std::move(nodes);
  return json::Serialize(out) + "\n";
}

std::vector<StatsFigure> StatsFigures(const StatsResponse& s) {
  using Unit = StatsFigure::Unit;
  return {
      {"uptime_seconds", "uptime", Unit::kSeconds, 0, s.uptime_seconds},
      {"cpu_user_micros", "CPU user time", Unit::kMicros, s.cpu_user_micros},
      {"cpu_system_micros", "CPU system time", Unit::kMicros, s.cpu_system_micros},
      {"memory_budget", "memory budget", Unit::kBytes, s.memory_budget},
      {"memtable_share", "memtable share", Unit::kBytes, s.memtable_share},
      {"connection_share", "connection share", Unit::kBytes, s.connection_share},
      {"merkle_cache_share", "Merkle cache share", Unit::kBytes, s.merkle_cache_share},
      {"merkle_cache_bytes", "Merkle cache", Unit::kBytes, s.merkle_cache_bytes},
      {"memtable_memory", "memtable memory", Unit::kBytes, s.memtable_memory},
      {"memtable_memory_peak", "memtable memory peak", Unit::kBytes, s.memtable_memory_peak},
      {"immutable_memtables", "immutable memtables", Unit::kCount, s.immutable_memtables},
      {"tables", "tables", Unit::kCount, s.tables},
      {"table_bytes", "table bytes", Unit::kBytes, s.table_bytes},
      {"table_index_memory", "table index memory", Unit::kBytes, s.table_index_memory},
      {"flushes", "flushes", Unit::kCount, s.flushes},
      {"compactions", "compactions", Unit::kCount, s.compactions},
      {"log_syncs", "log syncs", Unit::kCount, s.log_syncs},
      {"log_records", "log records", Unit::kCount, s.log_records},
      {"bloom_skips", "bloom skips", Unit::kCount, s.bloom_skips},
      {"bloom_false_positives", "bloom false positives", Unit::kCount, s.bloom_false_positives},
      {"block_cache_capacity", "block cache capacity", Unit::kBytes, s.block_cache_capacity},
      {"block_cache_bytes", "block cache data", Unit::kBytes, s.block_cache_bytes},
      {"block_cache_pinned", "block cache pinned", Unit::kBytes, s.block_cache_pinned},
      {"block_cache_hits", "block cache hits", Unit::kCount, s.block_cache_hits},
      {"block_cache_misses", "block cache misses", Unit::kCount, s.block_cache_misses},
      {"block_cache_hit_ratio", "block cache hit ratio", Unit::kRatio, 0, HitRatio(s)},
      {"write_delays", "write delays", Unit::kCount, s.write_delays},
      {"write_delay_micros", "write delay time", Unit::kMicros, s.write_delay_micros},
      {"write_stalls", "write stalls", Unit::kCount, s.write_stalls},
      {"write_stall_micros", "write stall time", Unit::kMicros, s.write_stall_micros},
      {"tombstones_purged", "tombstones purged", Unit::kCount, s.tombstones_purged},
      {"hints_held", "hints held", Unit::kCount, s.hints_held},
      {"hint_bytes", "hint bytes", Unit::kBytes, s.hint_bytes},
      {"connection_waits", "connection waits", Unit::kCount, s.connection_waits},
  };
}

std::string FormatStatsJson(const StatsResponse& stats) {
  // Ids and codec names come from the node: UTF-8 in practice, but the output must stay valid
  // JSON whatever it sent.
  boost::json::object out;
  out["id"] = json::TextOr(stats.id);
  out["compression"] = json::TextOr(stats.compression);
  for (const StatsFigure& f : StatsFigures(stats)) {
    if (f.unit == StatsFigure::Unit::kSeconds || f.unit == StatsFigure::Unit::kRatio) {
      out[f.key] = json::Round(f.x, 3);
    } else {
      out[f.key] = f.n;
    }
  }
  return json::Serialize(out) + "\n";
}

}  // namespace kv
