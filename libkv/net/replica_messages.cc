#include "libkv/net/replica_messages.h"

#include "libkv/net/message_coding.h"

namespace kv {

using message_coding::Bytes;
using message_coding::CheckVersion;
using message_coding::Count;

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

template <class Archive>
void serialize(Archive& ar, ReplicaWriteBatchRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  size_t n = m.writes.size();
  Count(ar, n, 3 * sizeof(cereal::size_type));  // three strings' size tags at least
  m.writes.resize(n);
  for (ReplicaWriteRequest& w : m.writes) {
    Bytes(ar, w.key);
    Bytes(ar, w.siblings);
    Bytes(ar, w.hinted_for);
  }
}

// An outcome: its wire error code (0 for Ok), then its message.
template <class Archive>
void save(Archive& ar, const ReplicaWriteBatchResponse& m, std::uint32_t const) {
  size_t n = m.outcomes.size();
  Count(ar, n, 1 + sizeof(cereal::size_type));
  for (const Status& s : m.outcomes) {
    ar(static_cast<uint8_t>(s.ok() ? 0 : static_cast<uint8_t>(ToWireErrorCode(s.code()))));
    std::string message(s.ok() ? std::string() : s.message());
    Bytes(ar, message);
  }
}
template <class Archive>
void load(Archive& ar, ReplicaWriteBatchResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  size_t n = 0;
  Count(ar, n, 1 + sizeof(cereal::size_type));  // a code and a size tag at least
  m.outcomes.clear();
  m.outcomes.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint8_t code = 0;
    ar(code);
    std::string message;
    Bytes(ar, message);
    m.outcomes.push_back(code == 0 ? Status::Ok() : Status(FromWireErrorCode(code), message));
  }
}

}  // namespace kv

CEREAL_CLASS_VERSION(kv::ReplicaReadRequest, 1)
CEREAL_CLASS_VERSION(kv::ReplicaReadResponse, 1)
CEREAL_CLASS_VERSION(kv::ReplicaWriteRequest, 1)
CEREAL_CLASS_VERSION(kv::ReplicaWriteResponse, 1)
CEREAL_CLASS_VERSION(kv::ReplicaWriteBatchRequest, 1)
CEREAL_CLASS_VERSION(kv::ReplicaWriteBatchResponse, 1)

namespace kv {

KV_INSTANTIATE_MESSAGE(ReplicaReadRequest)
KV_INSTANTIATE_MESSAGE(ReplicaReadResponse)
KV_INSTANTIATE_MESSAGE(ReplicaWriteRequest)
KV_INSTANTIATE_MESSAGE(ReplicaWriteResponse)
KV_INSTANTIATE_MESSAGE(ReplicaWriteBatchRequest)
KV_INSTANTIATE_MESSAGE(ReplicaWriteBatchResponse)

}  // namespace kv
