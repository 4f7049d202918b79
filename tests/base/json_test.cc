#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "libkv/base/json.h"

namespace kv {

TEST_CASE("json: UTF-8 validation and base64") {
  CHECK(IsValidUtf8("plain"));
  CHECK(IsValidUtf8("\u00e9\u4e2d\U0001F600"));
  CHECK(!IsValidUtf8("\xff"));
  CHECK(!IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK(!IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK(!IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK(!IsValidUtf8("\xe4\xb8"));          // truncated
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("json: strings are escaped, members keep their order, output is compact") {
  boost::json::object o;
  o["z"] = "a\"b\\c\n\x01\u00e9";
  o["a"] = 1;
  o["list"] = boost::json::array{true, nullptr, -3};
  CHECK(json::Serialize(o) ==
        "{\"z\":\"a\\\"b\\\\c\\n\\u0001\u00e9\",\"a\":1,\"list\":[true,null,-3]}");
  CHECK(json::Serialize(boost::json::value(uint64_t{18446744073709551615u})) ==
        "18446744073709551615");
}

TEST_CASE("json: a double is its shortest decimal, always a double, null when not finite") {
  CHECK(json::Serialize(0.5) == "0.5");
  CHECK(json::Serialize(1.0) == "1.0");
  CHECK(json::Serialize(0.0) == "0.0");
  CHECK(json::Serialize(json::Round(41.2399999, 3)) == "41.24");
  CHECK(json::Serialize(json::Round(1.0 / 3, 6)) == "0.333333");
  CHECK(json::Serialize(json::Round(2.0 / 3, 3)) == "0.667");
  CHECK(json::Serialize(1e-7) == "1e-07");
  CHECK(json::Serialize(std::numeric_limits<double>::infinity()) == "null");
  CHECK(json::Serialize(std::nan("")) == "null");
  // Inside containers too, and it reads back as the same double.
  const std::string text = json::Serialize(boost::json::object{{"x", json::Round(0.1 + 0.2, 3)}});
  CHECK(text == "{\"x\":0.3}");
  Result<boost::json::value> back = json::Parse(text);
  REQUIRE(back.ok());
  CHECK(back->at("x").as_double() == 0.3);
}

TEST_CASE("json: the bytes-or-base64 rule, written and read back") {
  boost::json::object o;
  json::PutBytes(o, "key", "greeting");
  json::PutBytes(o, "value", std::string("\xff\x00", 2));
  CHECK(json::Serialize(o) == "{\"key\":\"greeting\",\"value\":\"/wA=\",\"value_base64\":true}");
  CHECK(json::GetBytes(o, "key") == std::string("greeting"));
  CHECK(json::GetBytes(o, "value") == std::string("\xff\x00", 2));
  CHECK(json::GetBytes(o, "missing") == std::nullopt);
  o["bad"] = "!!";
  o["bad_base64"] = true;
  CHECK(json::GetBytes(o, "bad") == std::nullopt);
  o["number"] = 3;
  CHECK(json::GetBytes(o, "number") == std::nullopt);
  // Text that should be UTF-8 and is not gets the fallback, so the output stays valid JSON.
  CHECK(json::TextOr("n1") == "n1");
  CHECK(json::TextOr("\xff") == "(not UTF-8)");
}

TEST_CASE("json: Parse takes one document and refuses anything else") {
  Result<boost::json::value> v = json::Parse(" {\"a\":[1,2.5,\"x\"]}\n");
  REQUIRE(v.ok());
  CHECK(v->at("a").as_array().size() == 3);
  for (const char* bad : {"", "{", "{\"a\":1,}", "[1] [2]", "nul", "{\"a\":1}x"}) {
    Result<boost::json::value> r = json::Parse(bad);
    CHECK_MESSAGE(!r.ok(), bad);
    if (!r.ok()) CHECK(r.status().Is(ErrorCode::kInvalidArgument));
  }
}

}  // namespace kv
