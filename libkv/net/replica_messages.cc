#include "libkv/net/replica_messages.h"

#include "libkv/net/message_coding.h"

namespace kv {

using message_coding::Bytes;
using message_coding::CheckVersion;

template <class Archive>
void serialize(Archive& ar, ReplicaReadRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.key);
}

template <class Archive>
void serialize(Archive& ar, ReplicaReadResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.siblings);
}

template <class Archive>
void serialize(Archive& ar, ReplicaWriteRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.key);
  Bytes(ar, m.siblings);
  Bytes(ar, m.hinted_for);
}

template <class Archive>
void serialize(Archive&, ReplicaWriteResponse&, std::uint32_t const version) {
  CheckVersion(version);
}

}  // namespace kv

CEREAL_CLASS_VERSION(kv::ReplicaReadRequest, 1)
CEREAL_CLASS_VERSION(kv::ReplicaReadResponse, 1)
CEREAL_CLASS_VERSION(kv::ReplicaWriteRequest, 1)
CEREAL_CLASS_VERSION(kv::ReplicaWriteResponse, 1)

namespace kv {

KV_INSTANTIATE_MESSAGE(ReplicaReadRequest)
KV_INSTANTIATE_MESSAGE(ReplicaReadResponse)
KV_INSTANTIATE_MESSAGE(ReplicaWriteRequest)
KV_INSTANTIATE_MESSAGE(ReplicaWriteResponse)

}  // namespace kv
