// Sizes, counts and ages as the tools print them (libkv/base/human_text.h).
#include "libkv/base/human_text.h"

#include <doctest/doctest.h>

namespace kv {
namespace {

TEST_CASE("human text: bytes in powers of 1024") {
  CHECK(FormatBinaryBytes(0) == "0 B");
  CHECK(FormatBinaryBytes(1023) == "1023 B");
  CHECK(FormatBinaryBytes(1024) == "1.0 KiB");
  CHECK(FormatBinaryBytes(1288490189) == "1.2 GiB");
  CHECK(FormatBinaryBytes(UINT64_MAX) == "16.0 EiB");
}

TEST_CASE("human text: approximate counts in powers of 1000, never '1000.0K'") {
  CHECK(FormatApproxCount(0) == "~0");
  CHECK(FormatApproxCount(999) == "~999");
  CHECK(FormatApproxCount(1000) == "~1.0K");
  CHECK(FormatApproxCount(3'100'000) == "~3.1M");
  CHECK(FormatApproxCount(999'999) == "~1.0M");
  CHECK(FormatApproxCount(UINT64_MAX) == "~18.4E");
}

TEST_CASE("human text: ages in at most two units") {
  CHECK(FormatAge(0) == "0s");
  CHECK(FormatAge(59) == "59s");
  CHECK(FormatAge(192) == "3m12s");
  CHECK(FormatAge(5 * 3600 + 120) == "5h02m");
  CHECK(FormatAge(2 * 86400 + 4 * 3600 + 59) == "2d04h");
}

}  // namespace
}  // namespace kv
