#include "libkv/net/cluster_messages.h"

#include "libkv/net/message_coding.h"

namespace kv {

using message_coding::Bytes;
using message_coding::CheckVersion;
using message_coding::Count;
using message_coding::Flag;

template <class Archive>
void serialize(Archive& ar, GossipSyn& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.payload);
}
template <class Archive>
void serialize(Archive& ar, GossipAck& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.payload);
}
template <class Archive>
void serialize(Archive& ar, GossipAck2& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.payload);
}
template <class Archive>
void serialize(Archive&, GossipDone&, std::uint32_t const version) {
  CheckVersion(version);
}

template <class Archive>
void Indices(Archive& ar, std::vector<uint32_t>& v) {
  size_t n = v.size();
  Count(ar, n, 4);
  v.resize(n);
  for (uint32_t& x : v) ar(x);
}
template <class Archive>
void Indices(Archive& ar, const std::vector<uint32_t>& v) {
  Indices(ar, const_cast<std::vector<uint32_t>&>(v));  // saving only reads
}

template <class Archive>
void serialize(Archive& ar, MerkleLevelRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  ar(m.range_start, m.range_end, m.depth, m.level);
  Indices(ar, m.indices);
  Bytes(ar, m.peer);
}
template <class Archive>
void serialize(Archive& ar, MerkleLevelResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.payload);
}
template <class Archive>
void serialize(Archive& ar, LeafKeysRequest& m, std::uint32_t const version) {
  CheckVersion(version, 2);
  ar(m.range_start, m.range_end, m.depth);
  Indices(ar, m.leaves);
  Bytes(ar, m.peer);
  Bytes(ar, m.after);
  Bytes(ar, m.until);
  ar(m.max_bytes);
}
template <class Archive>
void serialize(Archive& ar, LeafKeysResponse& m, std::uint32_t const version) {
  CheckVersion(version, 2);
  size_t n = m.keys.size();
  Count(ar, n, 16);
  m.keys.resize(n);
  for (LeafKey& k : m.keys) {
    Bytes(ar, k.key);
    ar(k.digest);
  }
  Flag(ar, m.more);
  Bytes(ar, m.last);
}
template <class Archive>
void serialize(Archive& ar, RepairRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  ar(m.range_start, m.range_end);
  Flag(ar, m.list_ranges);
}
template <class Archive>
void serialize(Archive& ar, RepairResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  size_t n = m.ranges.size();
  Count(ar, n, 16);
  m.ranges.resize(n);
  for (RepairRange& r : m.ranges) ar(r.start, r.end);
  ar(m.keys_compared, m.keys_differing, m.keys_transferred, m.keys_repaired, m.bytes_exchanged,
     m.replicas, m.replicas_unreachable);
  Bytes(ar, m.problems);
}

}  // namespace kv

CEREAL_CLASS_VERSION(kv::GossipSyn, 1)
CEREAL_CLASS_VERSION(kv::GossipAck, 1)
CEREAL_CLASS_VERSION(kv::GossipAck2, 1)
CEREAL_CLASS_VERSION(kv::GossipDone, 1)
CEREAL_CLASS_VERSION(kv::MerkleLevelRequest, 1)
CEREAL_CLASS_VERSION(kv::MerkleLevelResponse, 1)
CEREAL_CLASS_VERSION(kv::LeafKeysRequest, 2)
CEREAL_CLASS_VERSION(kv::LeafKeysResponse, 2)
CEREAL_CLASS_VERSION(kv::RepairRequest, 1)
CEREAL_CLASS_VERSION(kv::RepairResponse, 1)

namespace kv {

KV_INSTANTIATE_MESSAGE(GossipSyn)
KV_INSTANTIATE_MESSAGE(GossipAck)
KV_INSTANTIATE_MESSAGE(GossipAck2)
KV_INSTANTIATE_MESSAGE(GossipDone)
KV_INSTANTIATE_MESSAGE(MerkleLevelRequest)
KV_INSTANTIATE_MESSAGE(MerkleLevelResponse)
KV_INSTANTIATE_MESSAGE(LeafKeysRequest)
KV_INSTANTIATE_MESSAGE(LeafKeysResponse)
KV_INSTANTIATE_MESSAGE(RepairRequest)
KV_INSTANTIATE_MESSAGE(RepairResponse)

}  // namespace kv
