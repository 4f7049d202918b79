#include "tools/kvbench/workload_keys.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

namespace kv::bench {

TEST_CASE("keys have the key size, sort by index, and missing keys fall between them") {
  auto keys = WorkloadKeys::Make(1000, 16, 100, 301);
  REQUIRE(keys.ok());
  std::string prev, key, missing;
  for (uint64_t i = 0; i < 1000; ++i) {
    keys->KeyAt(i, &key);
    keys->MissingKeyAt(i, &missing);
    CHECK(key.size() == 16);
    CHECK(missing.size() == 16);
    CHECK(key < missing);
    if (i > 0) CHECK(prev < key);
    prev = missing;
  }
  keys->KeyAt(42, &key);
  CHECK(key == "0000000000000420");
}

TEST_CASE("the key size must hold the digits of the last index and the marker byte") {
  CHECK(WorkloadKeys::Make(1000, 4, 100, 1).ok());  // "999" + marker
  auto too_small = WorkloadKeys::Make(1001, 4, 100, 1);
  REQUIRE_FALSE(too_small.ok());
  CHECK(too_small.status().code() == ErrorCode::kInvalidArgument);
  CHECK_FALSE(WorkloadKeys::Make(0, 16, 100, 1).ok());
}

TEST_CASE("the random order is a permutation, fixed by the seed") {
  auto a = WorkloadKeys::Make(5000, 16, 100, 301);
  auto b = WorkloadKeys::Make(5000, 16, 100, 301);
  auto c = WorkloadKeys::Make(5000, 16, 100, 302);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  auto order = a->RandomOrder();
  CHECK(order == b->RandomOrder());
  CHECK(order != c->RandomOrder());
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (uint64_t i = 0; i < sorted.size(); ++i) REQUIRE(sorted[i] == i);
  CHECK_FALSE(std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("values have the value size and the same op gives the same value") {
  auto a = WorkloadKeys::Make(10, 16, 100, 301);
  auto b = WorkloadKeys::Make(10, 16, 100, 301);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  std::set<std::string> distinct;
  for (uint64_t op = 0; op < 100; ++op) {
    CHECK(a->ValueFor(op).size() == 100);
    CHECK(a->ValueFor(op) == b->ValueFor(op));
    distinct.insert(std::string(a->ValueFor(op)));
  }
  CHECK(distinct.size() == 100);
}

TEST_CASE("read indexes stay below the bound and repeat for the same seed") {
  IndexSequence a(9), b(9);
  for (int i = 0; i < 10000; ++i) {
    uint64_t x = a.Next(777);
    CHECK(x < 777);
    CHECK(x == b.Next(777));
  }
}

}  // namespace kv::bench
