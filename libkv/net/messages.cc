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

// Version 1 is the only one so far; a newer one is a peer this code cannot understand.
void CheckVersion(std::uint32_t version) {
  if (version != 1)
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
  CheckVersion(version);
  Bytes(ar, m.key);
}

template <class Archive>
void serialize(Archive& ar, GetResponse& m, std::uint32_t const version) {
  CheckVersion(version);
  Flag(ar, m.found);
  Bytes(ar, m.value);
}

template <class Archive>
void serialize(Archive& ar, PutRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.key);
  Bytes(ar, m.value);
}

template <class Archive>
void serialize(Archive&, PutResponse&, std::uint32_t const version) {
  CheckVersion(version);
}

template <class Archive>
void serialize(Archive& ar, DeleteRequest& m, std::uint32_t const version) {
  CheckVersion(version);
  Bytes(ar, m.key);
}

template <class Archive>
void serialize(Archive&, DeleteResponse&, std::uint32_t const version) {
  CheckVersion(version);
}

}  // namespace kv

CEREAL_CLASS_VERSION(kv::HandshakeOk, 1)
CEREAL_CLASS_VERSION(kv::ErrorResponse, 1)
CEREAL_CLASS_VERSION(kv::GetRequest, 1)
CEREAL_CLASS_VERSION(kv::GetResponse, 1)
CEREAL_CLASS_VERSION(kv::PutRequest, 1)
CEREAL_CLASS_VERSION(kv::PutResponse, 1)
CEREAL_CLASS_VERSION(kv::DeleteRequest, 1)
CEREAL_CLASS_VERSION(kv::DeleteResponse, 1)

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
