// The one size convention of kv's size flags and config keys (tools/common/size_flag.h).
#include <doctest/doctest.h>

#include "tools/common/size_flag.h"

namespace kv::tools {
namespace {

uint64_t Size(std::string_view text) {
  Result<uint64_t> got = ParseSize(text);
  REQUIRE_MESSAGE(got.ok(), got.status().ToString());
  return *got;
}

TEST_CASE("sizes: KB, MB, GB are powers of 1000; KiB, MiB, GiB powers of 1024; any case") {
  CHECK(Size("0") == 0);
  CHECK(Size("4096") == 4096);
  CHECK(Size("100B") == 100);
  CHECK(Size("1KB") == 1000);
  CHECK(Size("1kb") == 1000);
  CHECK(Size("1KiB") == 1024);
  CHECK(Size("1kib") == 1024);
  CHECK(Size("256MiB") == uint64_t{256} << 20);
  CHECK(Size("256MB") == 256'000'000);
  CHECK(Size("1GiB") == uint64_t{1} << 30);
  CHECK(Size("1GB") == 1'000'000'000);
  CHECK(Size("2TiB") == uint64_t{2} << 40);
  CHECK(Size("2TB") == 2'000'000'000'000);
  CHECK(Size(" 8 MiB ") == uint64_t{8} << 20);
}

TEST_CASE("sizes: an ambiguous or unknown unit, no number, or an overflow is refused, saying why") {
  for (const char* text : {"1G", "1k", "5M", "1T"}) {
    Result<uint64_t> got = ParseSize(text);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().Is(ErrorCode::kInvalidArgument));
    CHECK(got.status().message().find("could mean a power of 1000 or of 1024") !=
          std::string::npos);
  }
  CHECK(ParseSize("1PB").status().message().find("unknown unit 'PB'") != std::string::npos);
  CHECK(ParseSize("MiB").status().message().find("no number") != std::string::npos);
  CHECK(ParseSize("-1MiB").status().message().find("no number") != std::string::npos);
  CHECK(ParseSize("1.5GiB").status().message().find("unknown unit '.5GiB'") != std::string::npos);
  CHECK(ParseSize("20000000TiB").status().message().find("too large") != std::string::npos);
  CHECK(ParseSize("99999999999999999999").status().message().find("too large") !=
        std::string::npos);
}

}  // namespace
}  // namespace kv::tools
