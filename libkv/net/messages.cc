#include "libkv/net/messages.h"

#include <fmt/format.h>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>

#include <streambuf>

#include "libkv/base/coding.h"
#include "libkv/net/frame.h"

namespace kv {

namespace {

// Cereal writes into a std::string through this, without the copy an ostringstream makes.
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string* out) : out_(out) {}

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_->push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_->append(s, static_cast<size_t>(n));
    return n;
  }

 private:
  std::string* out_;
};

// Cereal reads from the frame's bytes in place through this.
class ViewSource : public std::streambuf {
 public:
  explicit ViewSource(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // read-only: the get area is never written
    setg(p, p, p + bytes.size());
  }
  size_t remaining() const { return static_cast<size_t>(egptr() - gptr()); }
};

// A string field: Cereal's own layout for std::string (size tag, then the bytes), but on load the
// size is bounded before the string is allocated: a body can never hold a longer one, and an
// unbounded resize on a hostile size would take the process down.
void Bytes(cereal::PortableBinaryOutputArchive& ar, const std::string& s) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(s.size())));
  ar(cereal::binary_data(s.data(), s.size()));
}
void Bytes(cereal::PortableBinaryInputArchive& ar, std::string& s) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  if (size > wire::kMaxFrameLength)
    throw cereal::Exception(
        fmt::format("a string declares {} bytes, more than a frame holds", size));
  s.resize(static_cast<size_t>(size));
  ar(cereal::binary_data(s.data(), s.size()));
}

// A bool as one byte, 0 or 1; any other byte is malformed (loading it straight into a bool
// would be undefined behaviour).
void Flag(cereal::PortableBinaryOutputArchive& ar, bool b) {
  ar(static_cast<uint8_t>(b ? 1 : 0));
}
void Flag(cereal::PortableBinaryInputArchive& ar, bool& b) {
  uint8_t byte = 0;
  ar(byte);
  if (byte > 1) throw cereal::Exception(fmt::format("a flag byte is {}, not 0 or 1", byte));
  b = byte == 1;
}

// Each message has one class version in this protocol (1, or 2 where protocol 2 changed it);
// any other is a peer this code cannot understand.
void CheckVersion(std::uint32_t version, std::uint32_t expected = 1) {
  if (version != expected)
    throw cereal::Exception(fmt::format("message class version {} is not known here", version));
}

}  // namespace

template <class Archive>
void serialize(Archive& ar, HandshakeOk& m, std::uint32_t const version) {
  CheckVersion(version);
  ar(m.protocol_version);
  Bytes(ar, m.server);
}

template <class Archive>
void save(Archive& ar, const ErrorResponse& m, std::uint32_t const) {
  ar(static_cast<uint8_t>(ToWireErrorCode(m.code)));
  Bytes(ar, m.message);
}
template <class Archive>
void load(Archive& ar, ErrorResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  uint8_t code = 0;
  ar(code);
  m.code = FromWireErrorCode(code);
  Bytes(ar, m.message);
}

template <class Archive>
void serialize(Archive& ar, GetRequest& m, std::uint32_t const version) {
  CheckVersion(version, 2);
  Bytes(ar, m.key);
  ar(m.r);
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
  CheckVersion(version, 2);
  Bytes(ar, m.key);
  Bytes(ar, m.value);
  Bytes(ar, m.context);
  ar(m.w);
  Flag(ar, m.forwarded);
  Flag(ar, m.primaries_only);
}

template <class Archive>
void serialize(Archive&, PutResponse&, std::uint32_t const version) {
  CheckVersion(version);
}

template <class Archive>
void serialize(Archive& ar, DeleteRequest& m, std::uint32_t const version) {
  CheckVersion(version, 2);
  Bytes(ar, m.key);
  Bytes(ar, m.context);
  ar(m.w);
  Flag(ar, m.forwarded);
  Flag(ar, m.primaries_only);
}

template <class Archive>
void serialize(Archive&, DeleteResponse&, std::uint32_t const version) {
  CheckVersion(version);
}

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
void serialize(Archive& ar, RingRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.key);
}

// Inside RingResponse's list (no class version of its own: the response's covers it).
template <class Archive>
void RingNode(Archive& ar, RingNodeInfo& n) {
  Bytes(ar, n.id);
  Bytes(ar, n.address);
  Flag(ar, n.up);
  Bytes(ar, n.state);
  ar(n.vnodes, n.ownership, n.primary_ownership, n.seconds_since_heard, n.generation);
  Bytes(ar, n.clock_id);
  ar(n.hints_pending);
}
template <class Archive>
void RingNode(Archive& ar, const RingNodeInfo& n) {
  RingNode(ar, const_cast<RingNodeInfo&>(n));  // saving only reads
}

// A list's count, bounded on load by the bytes a frame can hold (each element takes at least
// `min_element_bytes`), before anything is allocated.
void Count(cereal::PortableBinaryOutputArchive& ar, size_t count, size_t) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(count)));
}
void Count(cereal::PortableBinaryInputArchive& ar, size_t& count, size_t min_element_bytes) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  if (size > wire::kMaxFrameLength / min_element_bytes)
    throw cereal::Exception(
        fmt::format("a list declares {} elements, more than a frame holds", size));
  count = static_cast<size_t>(size);
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
  CheckVersion(version);
  ar(m.range_start, m.range_end, m.depth);
  Indices(ar, m.leaves);
  Bytes(ar, m.peer);
}
template <class Archive>
void serialize(Archive& ar, LeafKeysResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  size_t n = m.keys.size();
  Count(ar, n, 16);
  m.keys.resize(n);
  for (LeafKey& k : m.keys) {
    Bytes(ar, k.key);
    ar(k.digest);
  }
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
void serialize(Archive& ar, CleanupRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Flag(ar, m.status_only);
}
template <class Archive>
void serialize(Archive& ar, CleanupResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.state);
  ar(m.keys_scanned, m.keys_removed, m.bytes_removed, m.seconds);
  Bytes(ar, m.error);
}

template <class Archive>
void serialize(Archive&, StatsRequest&, std::uint32_t const version) {
  CheckVersion(version);
}
template <class Archive>
void serialize(Archive& ar, StatsResponse& m, std::uint32_t const version) {
  CheckVersion(version, 2);
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
}

template <class Archive>
void serialize(Archive& ar, RingResponse& m, std::uint32_t const version) {
  CheckVersion(version);
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

CEREAL_CLASS_VERSION(kv::HandshakeOk, 1)
CEREAL_CLASS_VERSION(kv::ErrorResponse, 1)
CEREAL_CLASS_VERSION(kv::GetRequest, 2)
CEREAL_CLASS_VERSION(kv::GetResponse, 2)
CEREAL_CLASS_VERSION(kv::PutRequest, 2)
CEREAL_CLASS_VERSION(kv::PutResponse, 1)
CEREAL_CLASS_VERSION(kv::DeleteRequest, 2)
CEREAL_CLASS_VERSION(kv::DeleteResponse, 1)
CEREAL_CLASS_VERSION(kv::ReplicaReadRequest, 1)
CEREAL_CLASS_VERSION(kv::ReplicaReadResponse, 1)
CEREAL_CLASS_VERSION(kv::ReplicaWriteRequest, 1)
CEREAL_CLASS_VERSION(kv::ReplicaWriteResponse, 1)
CEREAL_CLASS_VERSION(kv::GossipSyn, 1)
CEREAL_CLASS_VERSION(kv::GossipAck, 1)
CEREAL_CLASS_VERSION(kv::GossipAck2, 1)
CEREAL_CLASS_VERSION(kv::GossipDone, 1)
CEREAL_CLASS_VERSION(kv::RingRequest, 1)
CEREAL_CLASS_VERSION(kv::RingResponse, 1)
CEREAL_CLASS_VERSION(kv::MerkleLevelRequest, 1)
CEREAL_CLASS_VERSION(kv::MerkleLevelResponse, 1)
CEREAL_CLASS_VERSION(kv::LeafKeysRequest, 1)
CEREAL_CLASS_VERSION(kv::LeafKeysResponse, 1)
CEREAL_CLASS_VERSION(kv::RepairRequest, 1)
CEREAL_CLASS_VERSION(kv::RepairResponse, 1)
CEREAL_CLASS_VERSION(kv::LeaveRequest, 1)
CEREAL_CLASS_VERSION(kv::LeaveResponse, 1)
CEREAL_CLASS_VERSION(kv::StatsRequest, 1)
// 2: the CPU times were added; a reader of either version refuses the other by its version, not
// as a malformed body.
CEREAL_CLASS_VERSION(kv::StatsResponse, 2)
CEREAL_CLASS_VERSION(kv::CleanupRequest, 1)
CEREAL_CLASS_VERSION(kv::CleanupResponse, 1)

namespace kv {

namespace {

template <class M>
void AppendMessage(std::string* out, const M& message) {
  StringSink sink(out);
  std::ostream os(&sink);
  cereal::PortableBinaryOutputArchive ar(
      os, cereal::PortableBinaryOutputArchive::Options::LittleEndian());
  ar(message);
}

}  // namespace

template <class M>
std::string EncodeMessage(const M& message) {
  std::string out;
  AppendMessage(&out, message);
  return out;
}

template <class M>
std::string EncodeMessageFrame(const M& message, uint64_t request_id) {
  std::string out;
  AppendFrame(&out, M::kType, request_id, {});
  AppendMessage(&out, message);
  EncodeFixed32(out.data(), static_cast<uint32_t>(out.size() - wire::kLengthBytes));
  return out;
}

template <class M>
Result<M> DecodeMessage(std::string_view body) {
  M message;
  try {
    ViewSource source(body);
    std::istream is(&source);
    cereal::PortableBinaryInputArchive ar(is);
    ar(message);
    if (source.remaining() != 0)
      return Status::Protocol(fmt::format("{} body has {} trailing bytes",
                                          wire::MessageTypeName(M::kType), source.remaining()));
  } catch (const std::exception& e) {  // the decode boundary: Cereal reports by throwing
    return Status::Protocol(
        fmt::format("malformed {} body: {}", wire::MessageTypeName(M::kType), e.what()));
  }
  return message;
}

#define KV_INSTANTIATE_MESSAGE(M)                                 \
  template std::string EncodeMessage<M>(const M&);                \
  template std::string EncodeMessageFrame<M>(const M&, uint64_t); \
  template Result<M> DecodeMessage<M>(std::string_view);
KV_INSTANTIATE_MESSAGE(HandshakeOk)
KV_INSTANTIATE_MESSAGE(ErrorResponse)
KV_INSTANTIATE_MESSAGE(GetRequest)
KV_INSTANTIATE_MESSAGE(GetResponse)
KV_INSTANTIATE_MESSAGE(PutRequest)
KV_INSTANTIATE_MESSAGE(PutResponse)
KV_INSTANTIATE_MESSAGE(DeleteRequest)
KV_INSTANTIATE_MESSAGE(DeleteResponse)
KV_INSTANTIATE_MESSAGE(ReplicaReadRequest)
KV_INSTANTIATE_MESSAGE(ReplicaReadResponse)
KV_INSTANTIATE_MESSAGE(ReplicaWriteRequest)
KV_INSTANTIATE_MESSAGE(ReplicaWriteResponse)
KV_INSTANTIATE_MESSAGE(GossipSyn)
KV_INSTANTIATE_MESSAGE(GossipAck)
KV_INSTANTIATE_MESSAGE(GossipAck2)
KV_INSTANTIATE_MESSAGE(GossipDone)
KV_INSTANTIATE_MESSAGE(RingRequest)
KV_INSTANTIATE_MESSAGE(RingResponse)
KV_INSTANTIATE_MESSAGE(MerkleLevelRequest)
KV_INSTANTIATE_MESSAGE(MerkleLevelResponse)
KV_INSTANTIATE_MESSAGE(LeafKeysRequest)
KV_INSTANTIATE_MESSAGE(LeafKeysResponse)
KV_INSTANTIATE_MESSAGE(RepairRequest)
KV_INSTANTIATE_MESSAGE(RepairResponse)
KV_INSTANTIATE_MESSAGE(LeaveRequest)
KV_INSTANTIATE_MESSAGE(LeaveResponse)
KV_INSTANTIATE_MESSAGE(StatsRequest)
KV_INSTANTIATE_MESSAGE(StatsResponse)
KV_INSTANTIATE_MESSAGE(CleanupRequest)
KV_INSTANTIATE_MESSAGE(CleanupResponse)
#undef KV_INSTANTIATE_MESSAGE

wire::WireErrorCode ToWireErrorCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return wire::WireErrorCode::kNotFound;
    case ErrorCode::kInvalidArgument:
      return wire::WireErrorCode::kInvalidArgument;
    case ErrorCode::kCorruption:
      return wire::WireErrorCode::kCorruption;
    case ErrorCode::kIOError:
      return wire::WireErrorCode::kIOError;
    case ErrorCode::kUnavailable:
      return wire::WireErrorCode::kUnavailable;
    case ErrorCode::kTimeout:
      return wire::WireErrorCode::kTimeout;
    case ErrorCode::kMaybeApplied:
      return wire::WireErrorCode::kMaybeApplied;
    case ErrorCode::kOk:  // an error response never carries Ok; treat as a protocol slip
    case ErrorCode::kProtocol:
      return wire::WireErrorCode::kProtocol;
  }
  return wire::WireErrorCode::kProtocol;
}

ErrorCode FromWireErrorCode(uint8_t code) {
  switch (static_cast<wire::WireErrorCode>(code)) {
    case wire::WireErrorCode::kNotFound:
      return ErrorCode::kNotFound;
    case wire::WireErrorCode::kInvalidArgument:
      return ErrorCode::kInvalidArgument;
    case wire::WireErrorCode::kCorruption:
      return ErrorCode::kCorruption;
    case wire::WireErrorCode::kIOError:
      return ErrorCode::kIOError;
    case wire::WireErrorCode::kUnavailable:
      return ErrorCode::kUnavailable;
    case wire::WireErrorCode::kTimeout:
      return ErrorCode::kTimeout;
    case wire::WireErrorCode::kProtocol:
      return ErrorCode::kProtocol;
    case wire::WireErrorCode::kMaybeApplied:
      return ErrorCode::kMaybeApplied;
  }
  return ErrorCode::kProtocol;
}

Status ErrorResponseToStatus(const ErrorResponse& error) {
  if (error.code == ErrorCode::kOk) return Status::Protocol("error response with code ok");
  return Status(error.code, error.message);
}

ErrorResponse StatusToErrorResponse(const Status& status) {
  ErrorResponse out;
  out.code = status.ok() ? ErrorCode::kProtocol : status.code();
  out.message = status.message();
  return out;
}

}  // namespace kv
