#include "libkv/net/admin_messages.h"

#include "libkv/net/message_coding.h"

namespace kv {

using message_coding::Bytes;
using message_coding::CheckVersion;
using message_coding::Count;
using message_coding::Flag;

template <class Archive>
void serialize(Archive& ar, RingRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.key);
}

// Inside RingResponse's list (no class version of its own: the response's covers it).
// Version 2 of RingResponse added the load, 3 the zone.
template <class Archive>
void RingNode(Archive& ar, RingNodeInfo& n) {
  Bytes(ar, n.id);
  Bytes(ar, n.address);
  Flag(ar, n.up);
  Bytes(ar, n.state);
  ar(n.vnodes, n.ownership, n.primary_ownership, n.seconds_since_heard, n.generation);
  Bytes(ar, n.clock_id);
  ar(n.hints_pending);
  Flag(ar, n.load_stated);
  ar(n.disk_bytes, n.keys);
  Bytes(ar, n.zone);
}
template <class Archive>
void RingNode(Archive& ar, const RingNodeInfo& n) {
  RingNode(ar, const_cast<RingNodeInfo&>(n));  // saving only reads
}

template <class Archive>
void serialize(Archive& ar, LeaveRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Flag(ar, m.status_only);
}
template <class Archive>
void serialize(Archive& ar, LeaveResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.state);
  Bytes(ar, m.phase);
  ar(m.keys_streamed, m.bytes_streamed, m.seconds);
  Bytes(ar, m.error);
}

template <class Archive>
void serialize(Archive& ar, RemoveRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.node);
  Flag(ar, m.force);
}
template <class Archive>
void serialize(Archive& ar, RemoveResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  size_t nodes = m.streams_to.size();
  Count(ar, nodes, 8);
  m.streams_to.resize(nodes);
  for (std::string& id : m.streams_to) Bytes(ar, id);
}

template <class Archive>
void serialize(Archive& ar, CleanupRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Flag(ar, m.status_only);
}
template <class Archive>
void serialize(Archive& ar, CleanupResponse& m, std::uint32_t const version) {
  CheckVersion(version, 2);
  Bytes(ar, m.state);
  ar(m.keys_scanned, m.keys_removed, m.bytes_removed, m.seconds);
  Bytes(ar, m.error);
  ar(m.table_bytes_before, m.table_bytes_after);
}

template <class Archive>
void serialize(Archive&, StatsRequest&, std::uint32_t const version) {
  CheckVersion(version);
}
template <class Archive>
void serialize(Archive& ar, StatsResponse& m, std::uint32_t const version) {
  CheckVersion(version, 3);
  Bytes(ar, m.id);
  ar(m.uptime_seconds, m.memory_budget, m.memtable_share, m.connection_share);
  Bytes(ar, m.compression);
  ar(m.memtable_memory, m.memtable_memory_peak, m.immutable_memtables, m.tables, m.table_bytes,
     m.table_index_memory, m.flushes, m.compactions, m.log_syncs, m.log_records, m.bloom_skips,
     m.bloom_false_positives);
  ar(m.block_cache_capacity, m.block_cache_bytes, m.block_cache_pinned, m.block_cache_hits,
     m.block_cache_misses, m.write_delays, m.write_delay_micros, m.write_stalls,
     m.write_stall_micros);
  ar(m.tombstones_purged, m.hints_held, m.hint_bytes, m.connection_waits);
  ar(m.cpu_user_micros, m.cpu_system_micros);
  ar(m.merkle_cache_share, m.merkle_cache_bytes);
}

template <class Archive>
void serialize(Archive&, MetricsRequest&, std::uint32_t const version) {
  CheckVersion(version);
}
template <class Archive>
void serialize(Archive& ar, MetricsResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.text);
}

template <class Archive>
void serialize(Archive&, RepairStatusRequest&, std::uint32_t const version) {
  CheckVersion(version);
}
template <class Archive>
void serialize(Archive& ar, RepairStatusResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.id);
  ar(m.now_micros, m.grace_seconds);
  size_t ranges = m.ranges.size();
  Count(ar, ranges, 8 * 4 + 1);
  m.ranges.resize(ranges);
  for (RangeRepairStatus& r : m.ranges) {
    ar(r.start, r.end, r.last_complete_repair_micros);
    Flag(ar, r.purge_allowed);
    ar(r.purge_written_by_micros);
  }
}

template <class Archive>
void serialize(Archive& ar, RingResponse& m, std::uint32_t const version) {
  CheckVersion(version, 3);
  Bytes(ar, m.self);
  ar(m.replicas, m.read_quorum, m.write_quorum);
  size_t nodes = m.nodes.size();
  Count(ar, nodes, 8);
  m.nodes.resize(nodes);
  for (RingNodeInfo& n : m.nodes) RingNode(ar, n);
  Bytes(ar, m.key);
  size_t replicas = m.preference_list.size();
  Count(ar, replicas, 8);
  m.preference_list.resize(replicas);
  for (std::string& id : m.preference_list) Bytes(ar, id);
}

}  // namespace kv

CEREAL_CLASS_VERSION(kv::RingRequest, 1)
// 2: each node's load (load_stated, disk_bytes, keys) was added; 3: each node's zone.
CEREAL_CLASS_VERSION(kv::RingResponse, 3)
CEREAL_CLASS_VERSION(kv::LeaveRequest, 1)
CEREAL_CLASS_VERSION(kv::LeaveResponse, 1)
CEREAL_CLASS_VERSION(kv::StatsRequest, 1)
// 2: the CPU times were added; 3: the Merkle tree cache's share and bytes. A reader of one version
// refuses the others by their version, not as a malformed body.
CEREAL_CLASS_VERSION(kv::StatsResponse, 3)
CEREAL_CLASS_VERSION(kv::CleanupRequest, 1)
// 2: the tables' bytes before and after (cleanup rewrites the tables).
CEREAL_CLASS_VERSION(kv::CleanupResponse, 2)
CEREAL_CLASS_VERSION(kv::RemoveRequest, 1)
CEREAL_CLASS_VERSION(kv::RemoveResponse, 1)
CEREAL_CLASS_VERSION(kv::MetricsRequest, 1)
CEREAL_CLASS_VERSION(kv::MetricsResponse, 1)
CEREAL_CLASS_VERSION(kv::RepairStatusRequest, 1)
CEREAL_CLASS_VERSION(kv::RepairStatusResponse, 1)

namespace kv {

KV_INSTANTIATE_MESSAGE(RingRequest)
KV_INSTANTIATE_MESSAGE(RingResponse)
KV_INSTANTIATE_MESSAGE(LeaveRequest)
KV_INSTANTIATE_MESSAGE(LeaveResponse)
KV_INSTANTIATE_MESSAGE(StatsRequest)
KV_INSTANTIATE_MESSAGE(StatsResponse)
KV_INSTANTIATE_MESSAGE(CleanupRequest)
KV_INSTANTIATE_MESSAGE(CleanupResponse)
KV_INSTANTIATE_MESSAGE(RemoveRequest)
KV_INSTANTIATE_MESSAGE(RemoveResponse)
KV_INSTANTIATE_MESSAGE(MetricsRequest)
KV_INSTANTIATE_MESSAGE(MetricsResponse)
KV_INSTANTIATE_MESSAGE(RepairStatusRequest)
KV_INSTANTIATE_MESSAGE(RepairStatusResponse)

}  // namespace kv
