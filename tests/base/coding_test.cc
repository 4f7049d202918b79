#include <doctest/doctest.h>

#include <random>

#include "libkv/base/checksum.h"
#include "libkv/base/coding.h"
#include "libkv/base/limits.h"

namespace kv {

TEST_CASE("varints round-trip and reject truncation") {
  std::mt19937_64 rng(7);
  std::string buf;
  std::vector<uint64_t> values = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX};
  for (int i = 0; i < 1000; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v : values) PutVarint64(&buf, v);
  std::string_view in = buf;
  for (uint64_t v : values) {
    uint64_t got = 0;
    REQUIRE(GetVarint64(&in, &got));
    CHECK(got == v);
  }
  CHECK(in.empty());

  std::string one;
  PutVarint64(&one, UINT64_MAX);
  std::string_view cut = std::string_view(one).substr(0, one.size() - 1);
  uint64_t ignored;
  CHECK_FALSE(GetVarint64(&cut, &ignored));
}

TEST_CASE("fixed-width integers are little-endian") {
  std::string buf;
  PutFixed32(&buf, 0x04030201u);
  PutFixed64(&buf, 0x0807060504030201ull);
  CHECK(buf.substr(0, 4) == std::string("\x01\x02\x03\x04"));
  std::string_view in = buf;
  uint32_t a;
  uint64_t b;
  REQUIRE(GetFixed32(&in, &a));
  REQUIRE(GetFixed64(&in, &b));
  CHECK(a == 0x04030201u);
  CHECK(b == 0x0807060504030201ull);
}

TEST_CASE("length-prefixed bytes refuse a length past the input") {
  std::string buf;
  PutVarint32(&buf, 10);
  buf += "short";
  std::string_view in = buf, out;
  CHECK_FALSE(GetLengthPrefixed(&in, &out));
}

TEST_CASE("crc32c matches the standard check value and masks reversibly") {
  CHECK(Crc32c("123456789") == 0xe3069283u);
  CHECK(Crc32c("") == 0u);
  // Continuing a CRC equals one CRC over the concatenation.
  CHECK(Crc32c("56789", Crc32c("1234")) == Crc32c("123456789"));
  const uint32_t c = Crc32c("hello");
  CHECK(MaskCrc(c) != c);
  CHECK(UnmaskCrc(MaskCrc(c)) == c);
}

TEST_CASE("key and value limits say which limit was passed") {
  CHECK(CheckKeyAndValue("k", "v").ok());
  CHECK(CheckKey("").Is(ErrorCode::kInvalidArgument));
  Status big_key = CheckKey(std::string(kMaxKeyBytes + 1, 'k'));
  CHECK(big_key.Is(ErrorCode::kInvalidArgument));
  CHECK(big_key.message().find("64 KiB") != std::string::npos);
  CHECK(
      CheckKeyAndValue("k", std::string(kMaxValueBytes + 1, 'v')).Is(ErrorCode::kInvalidArgument));
  CHECK(CheckKeyAndValue(std::string(kMaxKeyBytes, 'k'), std::string(kMaxValueBytes, 'v')).ok());
}

}  // namespace kv
