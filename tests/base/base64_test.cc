#include <doctest/doctest.h>

#include <random>

#include "libkv/base/json.h"

namespace kv {

TEST_CASE("base64 decodes what it encodes and refuses anything else") {
  CHECK(Base64Decode("") == std::string());
  CHECK(Base64Decode("Zg==") == std::string("f"));
  CHECK(Base64Decode("Zm8=") == std::string("fo"));
  CHECK(Base64Decode("Zm9vYmFy") == std::string("foobar"));
  std::mt19937_64 rng(99);
  for (int i = 0; i < 500; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    CHECK(Base64Decode(Base64Encode(bytes)) == bytes);
  }
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zm=v", "Zh==", "Zm9=Zm9v", "Zm9v\n", "Zm-v"}) {
    CAPTURE(bad);
    CHECK_FALSE(Base64Decode(bad).has_value());
  }
}

}  // namespace kv
