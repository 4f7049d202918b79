// How a message body is coded, shared by the files that define one protocol's bodies
// (messages.cc, client_messages.cc, replica_messages.cc, cluster_messages.cc, admin_messages.cc)
// and included by nothing else: users code messages through messages.h. It holds the Cereal
// field helpers that bound every size before allocating, and the definitions of EncodeMessage,
// EncodeMessageFrame and DecodeMessage, which each of those files instantiates (with
// KV_INSTANTIATE_MESSAGE) for its own messages, after their serialize functions and
// CEREAL_CLASS_VERSIONs. Pure functions, safe from any thread.
#pragma once

#include <fmt/format.h>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>

#include <cstdint>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/coding.h"
#include "libkv/net/frame.h"
#include "libkv/net/messages.h"

namespace kv {

namespace message_coding {

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

// The archive DecodeMessage reads a body with: Cereal's portable binary archive, which also knows
// how many of the body's bytes are left, so that every declared size is checked against them
// before anything is allocated. Cereal hands serialize functions the base class; RemainingBytes
// finds this one again.
class BodyArchive final : public cereal::PortableBinaryInputArchive {
 public:
  BodyArchive(std::istream& is, const ViewSource* source)
      : cereal::PortableBinaryInputArchive(is), source_(source) {}
  size_t remaining() const { return source_->remaining(); }

 private:
  const ViewSource* source_;
};

// The body's bytes not yet read. Only a BodyArchive knows them, and only DecodeMessage makes
// one; a body read any other way is refused rather than read with no bound.
inline size_t RemainingBytes(cereal::PortableBinaryInputArchive& ar) {
  const auto* body = dynamic_cast<const BodyArchive*>(&ar);
  if (body == nullptr) throw cereal::Exception("a message body read outside DecodeMessage");
  return body->remaining();
}

// A string field: Cereal's own layout for std::string (size tag, then the bytes), but on load the
// size is checked against the bytes left in the body before the string is allocated: a 29-byte
// request declaring a 17 MiB key must not make the node allocate and zero 17 MiB.
inline void Bytes(cereal::PortableBinaryOutputArchive& ar, const std::string& s) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(s.size())));
  ar(cereal::binary_data(s.data(), s.size()));
}
inline void Bytes(cereal::PortableBinaryInputArchive& ar, std::string& s) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  const size_t remaining = RemainingBytes(ar);
  if (size > remaining)
    throw cereal::Exception(fmt::format(
        "a string declares {} bytes, but only {} are left in the body", size, remaining));
  s.resize(static_cast<size_t>(size));
  ar(cereal::binary_data(s.data(), s.size()));
}

// A bool as one byte, 0 or 1; any other byte is malformed (loading it straight into a bool
// would be undefined behaviour).
inline void Flag(cereal::PortableBinaryOutputArchive& ar, bool b) {
  ar(static_cast<uint8_t>(b ? 1 : 0));
}
inline void Flag(cereal::PortableBinaryInputArchive& ar, bool& b) {
  uint8_t byte = 0;
  ar(byte);
  if (byte > 1) throw cereal::Exception(fmt::format("a flag byte is {}, not 0 or 1", byte));
  b = byte == 1;
}

// Each message has one class version in this protocol (1, or 2 where protocol 2 changed it);
// any other is a peer this code cannot understand.
inline void CheckVersion(std::uint32_t version, std::uint32_t expected = 1) {
  if (version != expected)
    throw cereal::Exception(fmt::format("message class version {} is not known here", version));
}

// A list's count, bounded on load by the bytes left in the body (each element takes at least
// `min_element_bytes`), before anything is allocated.
inline void Count(cereal::PortableBinaryOutputArchive& ar, size_t count, size_t) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(count)));
}
inline void Count(cereal::PortableBinaryInputArchive& ar, size_t& count, size_t min_element_bytes) {
  cereal::size_type size = 0;
  ar(cereal::make_size_tag(size));
  const size_t remaining = RemainingBytes(ar);
  if (size > remaining / min_element_bytes)
    throw cereal::Exception(fmt::format(
        "a list declares {} elements of at least {} bytes, but only {} bytes are left in the body",
        size, min_element_bytes, remaining));
  count = static_cast<size_t>(size);
}

template <class M>
void AppendMessage(std::string* out, const M& message) {
  StringSink sink(out);
  std::ostream os(&sink);
  cereal::PortableBinaryOutputArchive ar(
      os, cereal::PortableBinaryOutputArchive::Options::LittleEndian());
  ar(message);
}

}  // namespace message_coding

template <class M>
std::string EncodeMessage(const M& message) {
  std::string out;
  message_coding::AppendMessage(&out, message);
  return out;
}

template <class M>
std::string EncodeMessageFrame(const M& message, uint64_t request_id) {
  std::string out;
  AppendFrame(&out, M::kType, request_id, {});
  message_coding::AppendMessage(&out, message);
  EncodeFixed32(out.data(), static_cast<uint32_t>(out.size() - wire::kLengthBytes));
  return out;
}

template <class M>
Result<M> DecodeMessage(std::string_view body) {
  M message;
  try {
    message_coding::ViewSource source(body);
    std::istream is(&source);
    message_coding::BodyArchive ar(is, &source);
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

}  // namespace kv

// The three templates for message M, in the one file that defines M's serialize function and
// class version (a second instantiation elsewhere could not see them).
#define KV_INSTANTIATE_MESSAGE(M)                                 \
  template std::string EncodeMessage<M>(const M&);                \
  template std::string EncodeMessageFrame<M>(const M&, uint64_t); \
  template Result<M> DecodeMessage<M>(std::string_view);
