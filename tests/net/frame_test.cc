#include <doctest/doctest.h>

#include <random>

#include "libkv/base/coding.h"
#include "libkv/net/frame.h"
#include "libkv/net/handshake.h"
#include "libkv/net/wire_format.h"

namespace kv {

TEST_CASE("frames round-trip, back to back, and wait for missing bytes") {
  std::string stream;
  AppendFrame(&stream, wire::MessageType::kGetRequest, 1, "abc");
  AppendFrame(&stream, wire::MessageType::kPutResponse, UINT64_MAX, "");
  const std::string big(100000, 'x');
  AppendFrame(&stream, wire::MessageType::kPutRequest, 42, big);

  // Every strict prefix of the first frame is "not yet".
  const size_t first_size = wire::kFrameHeaderBytes + 3;
  for (size_t n = 0; n < first_size; ++n) {
    std::string_view part(stream.data(), n);
    auto r = DecodeFrame(&part);
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
    CHECK(part.size() == n);
  }

  std::string_view in = stream;
  auto a = DecodeFrame(&in);
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  CHECK((*a)->type == wire::MessageType::kGetRequest);
  CHECK((*a)->request_id == 1);
  CHECK((*a)->body == "abc");
  auto b = DecodeFrame(&in);
  REQUIRE(b.ok());
  REQUIRE(b->has_value());
  CHECK((*b)->type == wire::MessageType::kPutResponse);
  CHECK((*b)->request_id == UINT64_MAX);
  CHECK((*b)->body.empty());
  auto c = DecodeFrame(&in);
  REQUIRE(c.ok());
  REQUIRE(c->has_value());
  CHECK((*c)->body == big);
  CHECK(in.empty());
}

TEST_CASE("frame layout is length, type, request id, body, little-endian") {
  const std::string f = EncodeFrame(wire::MessageType::kGetRequest, 0x0102030405060708ull, "k");
  REQUIRE(f.size() == 14);
  CHECK(DecodeFixed32(f.data()) == 10u);  // type + id + body
  CHECK(f[4] == 3);
  CHECK(f.substr(5, 8) == std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  CHECK(f[13] == 'k');
}

TEST_CASE("a header declaring 4 GiB is refused from the header alone") {
  // Only the 13 header bytes exist: a decoder that tried to read or allocate the body first
  // could not answer Protocol here.
  std::string header;
  PutFixed32(&header, 0xFFFFFFFFu);
  header.push_back(static_cast<char>(wire::MessageType::kPutRequest));
  PutFixed64(&header, 7);
  REQUIRE(header.size() == wire::kFrameHeaderBytes);
  auto h = DecodeFrameHeader(header);
  REQUIRE_FALSE(h.ok());
  CHECK(h.status().code() == ErrorCode::kProtocol);
  CHECK(h.status().message().find("exceeds the limit") != std::string::npos);

  std::string_view in = header;
  auto f = DecodeFrame(&in);
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().code() == ErrorCode::kProtocol);

  // One byte over the limit is refused too; the limit itself is accepted.
  std::string at_limit, over;
  PutFixed32(&at_limit, static_cast<uint32_t>(wire::kMaxFrameLength));
  PutFixed32(&over, static_cast<uint32_t>(wire::kMaxFrameLength + 1));
  for (std::string* s : {&at_limit, &over}) {
    s->push_back(static_cast<char>(wire::MessageType::kPutRequest));
    PutFixed64(s, 1);
  }
  CHECK(DecodeFrameHeader(at_limit).ok());
  CHECK(DecodeFrameHeader(over).status().code() == ErrorCode::kProtocol);
}

TEST_CASE("frame headers with a short length or an unknown type are refused") {
  std::string short_len;
  PutFixed32(&short_len, 8);
  short_len.push_back(static_cast<char>(wire::MessageType::kGetRequest));
  PutFixed64(&short_len, 1);
  CHECK(DecodeFrameHeader(short_len).status().code() == ErrorCode::kProtocol);

  std::string bad_type;
  PutFixed32(&bad_type, 9);
  bad_type.push_back(static_cast<char>(200));
  PutFixed64(&bad_type, 1);
  CHECK(DecodeFrameHeader(bad_type).status().code() == ErrorCode::kProtocol);

  // Random headers never crash and never give a body past the limit.
  const uint64_t seed = 20261125;
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 10000; ++i) {
    std::string h(wire::kFrameHeaderBytes, '\0');
    for (char& ch : h) ch = static_cast<char>(rng());
    auto r = DecodeFrameHeader(h);
    if (r.ok()) CHECK(r->body_bytes + wire::kMinFrameLength <= wire::kMaxFrameLength);
  }
}

TEST_CASE("handshake encodes magic, version and cluster name") {
  auto hs = EncodeHandshake("prod-eu");
  REQUIRE(hs.ok());
  CHECK(hs->substr(0, 4) == "kvNP");
  auto prefix = DecodeHandshakePrefix(std::string_view(*hs).substr(0, wire::kHandshakeFixedBytes));
  REQUIRE(prefix.ok());
  CHECK(prefix->version == wire::kProtocolVersion);
  CHECK(prefix->cluster_name_bytes == 7);
  CHECK(hs->substr(wire::kHandshakeFixedBytes) == "prod-eu");

  CHECK(EncodeHandshake("").status().code() == ErrorCode::kInvalidArgument);
  CHECK(EncodeHandshake(std::string(256, 'c')).status().code() == ErrorCode::kInvalidArgument);
  CHECK(DecodeHandshakePrefix("GET / HTT").status().code() == ErrorCode::kProtocol);
}

}  // namespace kv
