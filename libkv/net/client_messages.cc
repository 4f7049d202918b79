#include "libkv/net/client_messages.h"

#include "libkv/net/message_coding.h"

namespace kv {

using message_coding::Bytes;
using message_coding::CheckVersion;
using message_coding::Flag;

template <class Archive>
void serialize(Archive& ar, GetRequest& m, std::uint32_t const version) {
  CheckVersion(version, 3);
  Bytes(ar, m.key);
  ar(m.r);
  Bytes(ar, m.local_zone);
}

template <class Archive>
void serialize(Archive& ar, GetResponse& m, std::uint32_t const version) {
  CheckVersion(version, 2);
  Flag(ar, m.found);
  Bytes(ar, m.siblings);
  Bytes(ar, m.context);
}

template <class Archive>
void serialize(Archive& ar, PutRequest& m, std::uint32_t const version) {
  CheckVersion(version, 3);
  Bytes(ar, m.key);
  Bytes(ar, m.value);
  Bytes(ar, m.context);
  ar(m.w);
  Flag(ar, m.forwarded);
  Flag(ar, m.primaries_only);
  Bytes(ar, m.local_zone);
}

template <class Archive>
void serialize(Archive&, PutResponse&, std::uint32_t const version) {
  CheckVersion(version);
}

template <class Archive>
void serialize(Archive& ar, DeleteRequest& m, std::uint32_t const version) {
  CheckVersion(version, 3);
  Bytes(ar, m.key);
  Bytes(ar, m.context);
  ar(m.w);
  Flag(ar, m.forwarded);
  Flag(ar, m.primaries_only);
  Bytes(ar, m.local_zone);
}

template <class Archive>
void serialize(Archive&, DeleteResponse&, std::uint32_t const version) {
  CheckVersion(version);
}

}  // namespace kv

CEREAL_CLASS_VERSION(kv::GetRequest, 3)
CEREAL_CLASS_VERSION(kv::GetResponse, 2)
CEREAL_CLASS_VERSION(kv::PutRequest, 3)
CEREAL_CLASS_VERSION(kv::PutResponse, 1)
CEREAL_CLASS_VERSION(kv::DeleteRequest, 3)
CEREAL_CLASS_VERSION(kv::DeleteResponse, 1)

namespace kv {

KV_INSTANTIATE_MESSAGE(GetRequest)
KV_INSTANTIATE_MESSAGE(GetResponse)
KV_INSTANTIATE_MESSAGE(PutRequest)
KV_INSTANTIATE_MESSAGE(PutResponse)
KV_INSTANTIATE_MESSAGE(DeleteRequest)
KV_INSTANTIATE_MESSAGE(DeleteResponse)

}  // namespace kv
