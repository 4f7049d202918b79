#include "libkv/versioning/vector_clock.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>

#include "libkv/base/coding.h"

namespace kv {
namespace {

constexpr uint64_t kSeed = 20261125;

ClockOrder Reverse(ClockOrder o) {
  if (o == ClockOrder::kBefore) return ClockOrder::kAfter;
  if (o == ClockOrder::kAfter) return ClockOrder::kBefore;
  return o;
}

// Few ids and small counters, so random clocks overlap and every order shows up.
VectorClock RandomClock(std::mt19937_64& rng) {
  VectorClock c;
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    c.Witness(1 + rng() % 5, 1 + rng() % 4, 1000 + rng() % 8);
  }
  return c;
}

VectorClock Clock(std::initializer_list<std::pair<ClockId, uint64_t>> entries) {
  VectorClock c;
  for (auto [id, n] : entries) c.Witness(id, n, 0);
  return c;
}

}  // namespace

TEST_CASE("vector clock: compare names the four orders") {
  const VectorClock a = Clock({{1, 1}});
  const VectorClock b = Clock({{1, 2}});
  const VectorClock c = Clock({{1, 1}, {2, 1}});
  CHECK(a.Compare(a) == ClockOrder::kEqual);
  CHECK(a.Compare(b) == ClockOrder::kBefore);
  CHECK(b.Compare(a) == ClockOrder::kAfter);
  CHECK(b.Compare(c) == ClockOrder::kConcurrent);
  CHECK(VectorClock().Compare(a) == ClockOrder::kBefore);
  CHECK(VectorClock().Compare(VectorClock()) == ClockOrder::kEqual);
  // Timestamps are not part of the order.
  VectorClock a_later;
  a_later.Witness(1, 1, 999);
  CHECK(a.Compare(a_later) == ClockOrder::kEqual);
}

TEST_CASE("vector clock: increment and witness") {
  VectorClock c;
  c.Increment(7, 100);
  c.Increment(7, 200);
  c.Increment(3, 300);
  CHECK(c.CounterOf(7) == 2);
  CHECK(c.CounterOf(3) == 1);
  CHECK(c.CounterOf(9) == 0);
  REQUIRE(c.size() == 2);
  CHECK(c.entries()[0].id == 3);  // sorted by id
  CHECK(c.entries()[1].timestamp_micros == 200);
  const VectorClock before = c;
  c.Increment(3, 400);
  CHECK(c.Compare(before) == ClockOrder::kAfter);
  c.Witness(3, 1, 999);  // older counter: no change
  CHECK(c.CounterOf(3) == 2);
  CHECK(c.entries()[0].timestamp_micros == 400);
  c.Witness(5, 0, 1);  // zero counter: no entry
  CHECK(c.size() == 2);
}

TEST_CASE("vector clock: properties over random clocks") {
  std::printf("vector clock properties: seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  int counts[4] = {};
  for (int i = 0; i < 5000; ++i) {
    const VectorClock a = RandomClock(rng);
    const VectorClock b = RandomClock(rng);
    const VectorClock c = RandomClock(rng);
    const ClockOrder ab = a.Compare(b);
    ++counts[static_cast<int>(ab)];
    // Antisymmetric.
    CHECK(b.Compare(a) == Reverse(ab));
    // Consistent with merge: the merge is an upper bound of both, and it equals b exactly
    // when a is before or equal to b.
    const VectorClock m = VectorClock::Merged(a, b);
    CHECK(a.IsCoveredBy(m));
    CHECK(b.IsCoveredBy(m));
    CHECK((m.Compare(b) == ClockOrder::kEqual) ==
          (ab == ClockOrder::kBefore || ab == ClockOrder::kEqual));
    CHECK(a.IsCoveredBy(b) == (ab == ClockOrder::kBefore || ab == ClockOrder::kEqual));
    // The least upper bound: every counter comes from a or b.
    for (const ClockEntry& e : m.entries()) {
      CHECK(e.counter == std::max(a.CounterOf(e.id), b.CounterOf(e.id)));
    }
    // Commutative, associative, idempotent — timestamps included.
    CHECK(m == VectorClock::Merged(b, a));
    CHECK(VectorClock::Merged(m, c) == VectorClock::Merged(a, VectorClock::Merged(b, c)));
    CHECK(VectorClock::Merged(a, a) == a);
    // Increment moves strictly after.
    VectorClock inc = a;
    inc.Increment(1 + rng() % 6, 5000);
    CHECK(inc.Compare(a) == ClockOrder::kAfter);
  }
  // The generator reaches every order, or the checks above prove little.
  for (int k = 0; k < 4; ++k) CHECK(counts[k] > 100);
}

TEST_CASE("vector clock: prune drops the oldest entries past the size, only when old enough") {
  const uint64_t kDay = 24ull * 3600 * 1000 * 1000;
  const uint64_t now = 100 * kDay;
  ClockPruneOptions opts{.max_entries = 3, .min_age_micros = kDay};
  VectorClock c;
  // Entries 1..6; ids 1..4 are old (ages 10, 9, 8, 7 days), 5 and 6 are young.
  for (ClockId id = 1; id <= 4; ++id) c.Witness(id, 5, now - (11 - id) * kDay);
  c.Witness(5, 5, now - 1000);
  c.Witness(6, 5, now);

  SUBCASE("at or under the size nothing goes") {
    VectorClock small = Clock({{1, 1}, {2, 1}});
    CHECK(small.Prune(opts, now + 365 * kDay) == 0);
    CHECK(small.size() == 2);
  }
  SUBCASE("oldest first, down to the size") {
    CHECK(c.Prune(opts, now) == 3);
    CHECK(c.size() == 3);
    CHECK(c.CounterOf(1) == 0);
    CHECK(c.CounterOf(2) == 0);
    CHECK(c.CounterOf(3) == 0);
    CHECK(c.CounterOf(4) == 5);
  }
  SUBCASE("young entries stay even when the clock is over the size") {
    ClockPruneOptions strict{.max_entries = 1, .min_age_micros = kDay};
    CHECK(c.Prune(strict, now) == 4);
    CHECK(c.size() == 2);  // 5 and 6 are younger than a day
    CHECK(c.CounterOf(5) == 5);
    CHECK(c.CounterOf(6) == 5);
  }
  SUBCASE("a pruned clock can only look older: it is covered by the original") {
    const VectorClock original = c;
    (void)c.Prune(opts, now);
    CHECK(c.IsCoveredBy(original));
    CHECK(original.Compare(c) == ClockOrder::kAfter);
  }
  SUBCASE("timestamps from the future count as young") {
    VectorClock f;
    for (ClockId id = 1; id <= 5; ++id) f.Witness(id, 1, now + kDay);
    CHECK(f.Prune(opts, now) == 0);
  }
}

TEST_CASE("vector clock: encoding round-trips and the decoder rejects malformed input") {
  std::mt19937_64 rng(kSeed + 1);
  for (int i = 0; i < 500; ++i) {
    VectorClock c = RandomClock(rng);
    c.Witness(rng(), 1 + (rng() >> 1), rng());  // full-width values
    std::string buf;
    c.EncodeTo(&buf);
    buf += "tail";
    std::string_view in = buf;
    auto got = VectorClock::DecodeFrom(&in);
    REQUIRE(got.ok());
    CHECK(*got == c);
    CHECK(in == "tail");
  }
  auto decode = [](std::string bytes) {
    std::string_view in = bytes;
    return VectorClock::DecodeFrom(&in).status();
  };
  VectorClock two = Clock({{1, 1}, {2, 1}});
  std::string good;
  two.EncodeTo(&good);
  CHECK(decode(good).ok());
  CHECK(decode(good.substr(0, good.size() - 1)).Is(ErrorCode::kCorruption));
  CHECK(decode("").Is(ErrorCode::kCorruption));
  CHECK(decode("\xff\xff\xff\xff\x0f").Is(ErrorCode::kCorruption));  // 4 billion entries
  // Zero counter.
  std::string zero;
  PutVarint32(&zero, 1);
  PutFixed64(&zero, 1);
  PutVarint64(&zero, 0);
  PutVarint64(&zero, 0);
  CHECK(decode(zero).Is(ErrorCode::kCorruption));
  // Ids out of order, or repeated.
  std::string unsorted;
  PutVarint32(&unsorted, 2);
  for (ClockId id : {2, 1}) {
    PutFixed64(&unsorted, id);
    PutVarint64(&unsorted, 1);
    PutVarint64(&unsorted, 0);
  }
  CHECK(decode(unsorted).Is(ErrorCode::kCorruption));
}

TEST_CASE("vector clock: clock ids print as 16 hex digits") {
  CHECK(ClockIdToHex(0xab) == "00000000000000ab");
  CHECK(ClockIdToHex(~0ull) == "ffffffffffffffff");
  CHECK(Clock({{1, 2}}).ToString() == "{0000000000000001:2}");
}

}  // namespace kv
