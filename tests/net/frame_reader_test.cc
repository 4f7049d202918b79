#include "libkv/net/frame_reader.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "libkv/base/coding.h"

namespace kv {
namespace {

// Delivers `bytes` as a socket would, in reads of at most `most` bytes and never more than
// Space() offers, taking every whole frame after each read (the readers' loop).
void Feed(FrameReader& reader, std::string_view bytes, std::vector<Frame>* out,
          size_t most = SIZE_MAX) {
  while (!bytes.empty()) {
    const std::span<char> space = reader.Space();
    REQUIRE_FALSE(space.empty());
    const size_t n = std::min({space.size(), bytes.size(), most});
    std::memcpy(space.data(), bytes.data(), n);
    reader.Commit(n);
    bytes.remove_prefix(n);
    for (;;) {
      Result<std::optional<Frame>> frame = reader.Next();
      REQUIRE(frame.ok());
      if (!*frame) break;
      out->push_back(std::move(**frame));
    }
  }
}

struct Expected {
  wire::MessageType type;
  uint64_t id;
  std::string body;
};

void CheckFrames(const std::vector<Frame>& got, const std::vector<Expected>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(got[i].type == want[i].type);
    CHECK(got[i].request_id == want[i].id);
    CHECK(got[i].body == want[i].body);
  }
}

// A header as the peer would send it, with any declared length and type.
std::string RawHeader(uint32_t length, uint8_t type, uint64_t id = 1) {
  std::string h;
  PutFixed32(&h, length);
  h.push_back(static_cast<char>(type));
  PutFixed64(&h, id);
  return h;
}

TEST_CASE("frame reader: a stream split at every position gives the same frames") {
  // A 64-byte buffer, so that one frame is larger than it and takes its own body.
  const std::vector<Expected> want = {
      {wire::MessageType::kGetRequest, 1, "abc"},
      {wire::MessageType::kPutResponse, 2, ""},
      {wire::MessageType::kPutRequest, 3, std::string(200, 'x')},
      {wire::MessageType::kGetResponse, UINT64_MAX, std::string(40, 'y')},
      {wire::MessageType::kDeleteResponse, 5, ""},
  };
  std::string stream;
  for (const Expected& e : want) AppendFrame(&stream, e.type, e.id, e.body);
  for (size_t split = 0; split <= stream.size(); ++split) {
    CAPTURE(split);
    FrameReader reader(64);
    std::vector<Frame> got;
    Feed(reader, std::string_view(stream).substr(0, split), &got);
    Feed(reader, std::string_view(stream).substr(split), &got);
    CheckFrames(got, want);
    CHECK(reader.buffered() == 0);
  }
  FrameReader bytewise(64);
  std::vector<Frame> got;
  Feed(bytewise, stream, &got, 1);
  CheckFrames(got, want);
}

TEST_CASE("frame reader: every whole frame of one read is taken before reading again") {
  std::string stream;
  for (uint64_t id = 1; id <= 100; ++id)
    AppendFrame(&stream, wire::MessageType::kGetRequest, id, "key");
  AppendFrame(&stream, wire::MessageType::kGetRequest, 101, "partial");
  stream.resize(stream.size() - 3);  // the last frame is cut short
  FrameReader reader;
  const std::span<char> space = reader.Space();
  REQUIRE(space.size() == FrameReader::kDefaultBufferBytes);
  std::memcpy(space.data(), stream.data(), stream.size());
  reader.Commit(stream.size());  // one read
  for (uint64_t id = 1; id <= 100; ++id) {
    Result<std::optional<Frame>> frame = reader.Next();
    REQUIRE(frame.ok());
    REQUIRE(frame->has_value());
    CHECK((*frame)->request_id == id);
    CHECK((*frame)->body == "key");
  }
  Result<std::optional<Frame>> rest = reader.Next();
  REQUIRE(rest.ok());
  CHECK_FALSE(rest->has_value());
  CHECK(reader.buffered() == wire::kFrameHeaderBytes + 4);
  // What is left moves to the front, so the whole buffer is free for the rest of it.
  CHECK(reader.Space().size() == FrameReader::kDefaultBufferBytes - reader.buffered());
}

TEST_CASE("frame reader: a frame larger than the buffer is read into its own body, no further") {
  FrameReader reader(64);
  const std::string big(1000, 'b');
  std::string stream;
  AppendFrame(&stream, wire::MessageType::kPutRequest, 7, big);
  AppendFrame(&stream, wire::MessageType::kGetRequest, 8, "after");
  std::span<char> space = reader.Space();
  std::memcpy(space.data(), stream.data(), space.size());  // the header and 51 body bytes
  reader.Commit(space.size());
  Result<std::optional<FrameHeader>> header = reader.PeekHeader();
  REQUIRE(header.ok());
  REQUIRE(header->has_value());
  CHECK((*header)->body_bytes == 1000);
  CHECK(reader.memory() == 64);  // nothing for the body until the next Space()
  // The body grows as its bytes come: 4 x the buffer first, then the declared size, each growth
  // announced by NextAllocation before the Space() that makes it.
  CHECK(reader.NextAllocation() == 256);
  space = reader.Space();
  CHECK(reader.body_memory() == 256);
  CHECK(space.size() == 256 - (64 - wire::kFrameHeaderBytes));
  CHECK(reader.NextAllocation() == 0);
  size_t at = 64;
  std::memcpy(space.data(), stream.data() + at, space.size());
  reader.Commit(space.size());
  at += space.size();
  CHECK_FALSE(reader.HasWholeFrame());
  CHECK(reader.NextAllocation() == 1000);  // 4 x 256, capped at the declared size
  space = reader.Space();
  CHECK(reader.body_memory() == 1000);
  CHECK(space.size() == 1000 - 256);  // exactly what it lacks: no read takes bytes past it
  std::memcpy(space.data(), stream.data() + at, space.size());
  reader.Commit(space.size());
  CHECK(reader.HasWholeFrame());
  Result<std::optional<Frame>> frame = reader.Next();
  REQUIRE(frame.ok());
  REQUIRE(frame->has_value());
  CHECK((*frame)->request_id == 7);
  CHECK((*frame)->body == big);
  CHECK(reader.memory() == 64);  // the body went with the frame
  std::vector<Frame> rest;
  Feed(reader, std::string_view(stream).substr(wire::kFrameHeaderBytes + 1000), &rest);
  CheckFrames(rest, {{wire::MessageType::kGetRequest, 8, "after"}});
}

TEST_CASE("frame reader: a header declaring a large body costs what its sender sent, not more") {
  // A peer declaring 16 MiB and sending 300 KiB: the body holds at most 4 x what came.
  FrameReader reader;
  std::string stream = RawHeader(wire::kMinFrameLength + (16u << 20),
                                 static_cast<uint8_t>(wire::MessageType::kPutRequest));
  stream.append(300 << 10, 'x');
  std::vector<Frame> none;
  Feed(reader, stream, &none);
  CHECK(none.empty());
  CHECK(reader.buffered() == (300u << 10));
  CHECK(reader.body_memory() <= 4 * (300u << 10));
  CHECK(reader.body_memory() >= (300u << 10));
  // Headers alone, or a body that still fits the buffer, cost no body at all.
  FrameReader headers_only;
  Feed(headers_only, std::string_view(stream).substr(0, 1000), &none);
  CHECK(headers_only.body_memory() == 0);
  CHECK(headers_only.NextAllocation() == 0);
}

TEST_CASE("frame reader: a bad header is a Protocol error, and stays one") {
  const std::vector<std::string> bad = {
      RawHeader(8, static_cast<uint8_t>(wire::MessageType::kGetRequest)),  // below the minimum
      RawHeader(9, 0),                                                     // unknown type
      RawHeader(9, 200),
  };
  for (const std::string& header : bad) {
    FrameReader reader;
    const std::span<char> space = reader.Space();
    std::memcpy(space.data(), header.data(), header.size());
    reader.Commit(header.size());
    CHECK(reader.PeekHeader().status().code() == ErrorCode::kProtocol);
    CHECK(reader.Next().status().code() == ErrorCode::kProtocol);
    CHECK(reader.Next().status().code() == ErrorCode::kProtocol);
  }
}

TEST_CASE(
    "frame reader: an oversized length is refused from the header alone, allocating nothing") {
  // Only the 13 header bytes exist, declaring 4 GiB, then a frame one byte over the limit.
  for (const uint32_t length : {UINT32_MAX, static_cast<uint32_t>(wire::kMaxFrameLength + 1)}) {
    FrameReader reader;
    const std::string header =
        RawHeader(length, static_cast<uint8_t>(wire::MessageType::kPutRequest));
    const std::span<char> space = reader.Space();
    std::memcpy(space.data(), header.data(), header.size());
    reader.Commit(header.size());
    Result<std::optional<FrameHeader>> peeked = reader.PeekHeader();
    CHECK(peeked.status().code() == ErrorCode::kProtocol);
    CHECK(peeked.status().message().find("exceeds the limit") != std::string::npos);
    CHECK(reader.Next().status().code() == ErrorCode::kProtocol);
    // Asking for room does not allocate the declared body either.
    CHECK(reader.Space().size() <= FrameReader::kDefaultBufferBytes);
    CHECK(reader.memory() == FrameReader::kDefaultBufferBytes);
  }
  // The limit is the reader's: a smaller one refuses what the default takes.
  FrameReader small(64, 1000);
  const std::string header = RawHeader(1001, static_cast<uint8_t>(wire::MessageType::kPutRequest));
  const std::span<char> space = small.Space();
  std::memcpy(space.data(), header.data(), header.size());
  small.Commit(header.size());
  CHECK(small.PeekHeader().status().code() == ErrorCode::kProtocol);
  CHECK(small.Space().size() <= 64);
  CHECK(small.memory() == 64);
}

TEST_CASE("frame reader: the buffer is freed while empty, and kept under a partial frame") {
  FrameReader reader;
  CHECK(reader.memory() == 0);  // nothing until the first read
  std::string stream;
  AppendFrame(&stream, wire::MessageType::kGetRequest, 1, "k");
  std::vector<Frame> got;
  Feed(reader, stream, &got);
  CHECK(got.size() == 1);
  CHECK(reader.memory() == FrameReader::kDefaultBufferBytes);
  reader.ReleaseIfEmpty();
  CHECK(reader.memory() == 0);
  Feed(reader, std::string_view(stream).substr(0, 5), &got);
  reader.ReleaseIfEmpty();
  CHECK(reader.memory() == FrameReader::kDefaultBufferBytes);
  Feed(reader, std::string_view(stream).substr(5), &got);
  CHECK(got.size() == 2);
}

}  // namespace
}  // namespace kv
