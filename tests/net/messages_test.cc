#include <doctest/doctest.h>

#include <random>

#include "libkv/net/frame.h"
#include "libkv/net/messages.h"

namespace kv {

TEST_CASE("messages round-trip") {
  std::string binary_value;
  for (int i = 0; i < 256; ++i) binary_value.push_back(static_cast<char>(i));

  PutRequest put{.key = "k\0ey", .value = binary_value};
  auto put2 = DecodeMessage<PutRequest>(EncodeMessage(put));
  REQUIRE(put2.ok());
  CHECK(put2->key == put.key);
  CHECK(put2->value == binary_value);

  GetResponse got{.found = true, .value = ""};
  auto got2 = DecodeMessage<GetResponse>(EncodeMessage(got));
  REQUIRE(got2.ok());
  CHECK(got2->found);
  CHECK(got2->value.empty());

  auto err = DecodeMessage<ErrorResponse>(
      EncodeMessage(StatusToErrorResponse(Status::InvalidArgument("too big"))));
  REQUIRE(err.ok());
  Status s = ErrorResponseToStatus(*err);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message() == "too big");

  for (ErrorCode c :
       {ErrorCode::kNotFound, ErrorCode::kInvalidArgument, ErrorCode::kCorruption,
        ErrorCode::kIOError, ErrorCode::kUnavailable, ErrorCode::kTimeout, ErrorCode::kProtocol}) {
    CHECK(FromWireErrorCode(static_cast<uint8_t>(ToWireErrorCode(c))) == c);
  }
  CHECK(FromWireErrorCode(0) == ErrorCode::kProtocol);
  CHECK(FromWireErrorCode(99) == ErrorCode::kProtocol);

  CHECK(DecodeMessage<PutResponse>(EncodeMessage(PutResponse{})).ok());
  CHECK(DecodeMessage<DeleteResponse>(EncodeMessage(DeleteResponse{})).ok());
  auto hello = DecodeMessage<HandshakeOk>(EncodeMessage(HandshakeOk{.server = "kvnode test"}));
  REQUIRE(hello.ok());
  CHECK(hello->server == "kvnode test");
}

TEST_CASE("EncodeMessageFrame is a frame holding EncodeMessage") {
  DeleteRequest del{.key = "gone"};
  std::string frame = EncodeMessageFrame(del, 99);
  std::string_view in = frame;
  auto f = DecodeFrame(&in);
  REQUIRE(f.ok());
  REQUIRE(f->has_value());
  CHECK((*f)->type == wire::MessageType::kDeleteRequest);
  CHECK((*f)->request_id == 99);
  CHECK((*f)->body == EncodeMessage(del));
}

TEST_CASE("malformed bodies are protocol errors, never crashes") {
  const std::string good = EncodeMessage(PutRequest{.key = "key", .value = "value"});
  // Every truncation.
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = DecodeMessage<PutRequest>(std::string_view(good).substr(0, n));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kProtocol);
  }
  // Trailing bytes.
  CHECK(DecodeMessage<PutRequest>(good + "x").status().code() == ErrorCode::kProtocol);
  // A string declaring 2^60 bytes: refused before any allocation.
  std::string huge = good.substr(0, 5);  // endianness flag + class version
  for (int i = 0; i < 8; ++i) huge.push_back(i == 7 ? '\x10' : '\0');
  auto r = DecodeMessage<PutRequest>(huge);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kProtocol);
  // A class version from the future.
  std::string future = good;
  future[1] = 2;
  CHECK(DecodeMessage<PutRequest>(future).status().code() == ErrorCode::kProtocol);

  // Random bytes and random mutations of a good body.
  const uint64_t seed = 77;
  MESSAGE("seed " << seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 5000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 64);
      for (char& c : bytes) c = static_cast<char>(rng());
    } else {
      bytes = good;
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    auto a = DecodeMessage<PutRequest>(bytes);
    auto b = DecodeMessage<GetResponse>(bytes);
    auto c = DecodeMessage<ErrorResponse>(bytes);
    if (!a.ok()) CHECK(a.status().code() == ErrorCode::kProtocol);
    if (!b.ok()) CHECK(b.status().code() == ErrorCode::kProtocol);
    if (!c.ok()) CHECK(c.status().code() == ErrorCode::kProtocol);
  }
}

}  // namespace kv

namespace kv {

TEST_CASE("message bodies are laid out as docs/formats.md says") {
  // flag 1 (little-endian) | class version fixed32 1 | key: size fixed64 | bytes
  const std::string get = EncodeMessage(GetRequest{.key = "k"});
  CHECK(get == std::string("\x01"
                           "\x01\x00\x00\x00"
                           "\x01\x00\x00\x00\x00\x00\x00\x00"
                           "k",
                           14));
  // found byte, then the value
  const std::string response = EncodeMessage(GetResponse{.found = true, .value = "v"});
  CHECK(response == std::string("\x01"
                                "\x01\x00\x00\x00"
                                "\x01"
                                "\x01\x00\x00\x00\x00\x00\x00\x00"
                                "v",
                                15));
  // wire error code byte, then the message
  const std::string error = EncodeMessage(ErrorResponse{.code = ErrorCode::kTimeout, .message = ""});
  CHECK(error == std::string("\x01"
                             "\x01\x00\x00\x00"
                             "\x06"
                             "\x00\x00\x00\x00\x00\x00\x00\x00",
                             14));
  CHECK(EncodeMessage(PutResponse{}) == std::string("\x01\x01\x00\x00\x00", 5));
}

}  // namespace kv
