// TombstoneGc's rule on its own, with a fake clock: only sibling sets of tombstones, only once a
// complete repair of the key's range began a grace period after the newest tombstone; records
// replace what they overlap and survive a reopen; a damaged record file only delays purging.
#include <doctest/doctest.h>

#include <string>

#include "libkv/env/env.h"
#include "libkv/replication/tombstone_gc.h"
#include "libkv/versioning/sibling_set.h"
#include "tests/storage/quiet_logger.h"

namespace kv {
namespace {

constexpr uint64_t kSecond = 1'000'000;
constexpr uint64_t kT0 = uint64_t{1'700'000'000} * kSecond;
constexpr std::chrono::seconds kGrace{100};
const TokenRange kWholeRing{0, 0};

struct Fixture {
  std::unique_ptr<Env> env = NewMemEnv();
  uint64_t now = kT0;

  std::shared_ptr<TombstoneGc> Open(bool require_complete_repair = true) {
    TombstoneGcOptions o;
    o.env = env.get();
    o.path = "/node/REPAIRS";
    o.grace = kGrace;
    o.require_complete_repair = require_complete_repair;
    o.wall_micros = [this] { return now; };
    o.logger = testing::QuietLogger();
    return TombstoneGc::Open(std::move(o));
  }
};

// An encoded set of one version written at `micros`.
std::string SetOf(bool tombstone, uint64_t micros, ClockId coordinator = 1) {
  SiblingSet set;
  SiblingWrite w;
  w.coordinator = coordinator;
  w.tombstone = tombstone;
  w.value = "v";
  w.now_micros = micros;
  REQUIRE(set.Put(std::move(w), ClockPruneOptions{}).ok());
  return set.Encode();
}

}  // namespace

TEST_CASE("tombstone gc: a tombstone is purgeable once a complete repair began a grace after it") {
  Fixture f;
  REQUIRE(f.env->CreateDirs("/node").ok());
  auto gc = f.Open();
  const std::string tomb = SetOf(true, kT0);
  const uint64_t due = kT0 + 100 * kSecond;
  f.now = due + 1000 * kSecond;
  CHECK_FALSE(gc->IsObsolete("k", tomb));  // no repair at all: long past the grace is not enough

  REQUIRE(gc->RecordCompleteRepair(kWholeRing, due - 1).ok());
  CHECK_FALSE(gc->IsObsolete("k", tomb));  // the repair began too early
  REQUIRE(gc->RecordCompleteRepair(kWholeRing, due).ok());
  CHECK(gc->IsObsolete("k", tomb));
  CHECK(gc->purged() == 1);

  // Values are never obsolete, nor a set where a value stands beside a tombstone.
  CHECK_FALSE(gc->IsObsolete("k", SetOf(false, kT0)));
  Result<SiblingSet> mixed = SiblingSet::Decode(tomb);
  REQUIRE(mixed.ok());
  Result<SiblingSet> value = SiblingSet::Decode(SetOf(false, kT0, 2));
  REQUIRE(value.ok());
  mixed->Merge(*value);
  REQUIRE(mixed->size() == 2);
  CHECK_FALSE(gc->IsObsolete("k", mixed->Encode()));
  // The newest tombstone of a set decides.
  Result<SiblingSet> two = SiblingSet::Decode(tomb);
  REQUIRE(two.ok());
  Result<SiblingSet> later = SiblingSet::Decode(SetOf(true, kT0 + 5 * kSecond, 3));
  REQUIRE(later.ok());
  two->Merge(*later);
  CHECK_FALSE(gc->IsObsolete("k", two->Encode()));
  // Not a sibling set at all: kept.
  CHECK_FALSE(gc->IsObsolete("k", "garbage"));
}

TEST_CASE(
    "tombstone gc: a record counts only for keys in its range, and replaces what it overlaps") {
  Fixture f;
  REQUIRE(f.env->CreateDirs("/node").ok());
  auto gc = f.Open();
  const Token t = KeyToken("k");
  const TokenRange around{t - 10, t + 10};
  const TokenRange elsewhere{t + 10, t + 1000};
  REQUIRE(gc->RecordCompleteRepair(elsewhere, kT0 + 1000 * kSecond).ok());
  f.now = kT0 + 2000 * kSecond;
  CHECK_FALSE(gc->IsObsolete("k", SetOf(true, kT0)));
  REQUIRE(gc->RecordCompleteRepair(around, kT0 + 1000 * kSecond).ok());
  CHECK(gc->IsObsolete("k", SetOf(true, kT0)));
  // A newer ring's range over both: the older records go, the new one answers.
  REQUIRE(gc->RecordCompleteRepair(TokenRange{t - 20, t + 2000}, kT0 + 50 * kSecond).ok());
  CHECK(gc->LastCompleteRepair(t) == kT0 + 50 * kSecond);
  CHECK(gc->LastCompleteRepair(t + 500) == kT0 + 50 * kSecond);
  CHECK_FALSE(gc->IsObsolete("k", SetOf(true, kT0)));
}

TEST_CASE("tombstone gc: records survive a reopen, and a damaged file is ignored") {
  Fixture f;
  REQUIRE(f.env->CreateDirs("/node").ok());
  {
    auto gc = f.Open();
    REQUIRE(gc->RecordCompleteRepair(TokenRange{1, 5}, 111).ok());
    REQUIRE(gc->RecordCompleteRepair(TokenRange{5, 1}, 222).ok());
  }
  auto gc = f.Open();
  CHECK(gc->LastCompleteRepair(3) == 111);
  CHECK(gc->LastCompleteRepair(7) == 222);

  Result<std::string> bytes = f.env->ReadFileToString("/node/REPAIRS");
  REQUIRE(bytes.ok());
  std::string damaged = *bytes;
  damaged[3] ^= 1;
  CHECK_FALSE(TombstoneGc::DecodeRecords(damaged).ok());
  REQUIRE(f.env->WriteFileAtomically("/node/REPAIRS", damaged).ok());
  CHECK(f.Open()->LastCompleteRepair(3) == 0);  // nothing purged until the next repair
  CHECK_FALSE(TombstoneGc::DecodeRecords(bytes->substr(0, bytes->size() - 1)).ok());
}

TEST_CASE("tombstone gc: without the complete-repair condition the grace period alone decides") {
  Fixture f;
  auto gc = f.Open(/*require_complete_repair=*/false);
  const std::string tomb = SetOf(true, kT0);
  f.now = kT0 + 99 * kSecond;
  CHECK_FALSE(gc->IsObsolete("k", tomb));
  f.now = kT0 + 100 * kSecond;
  CHECK(gc->IsObsolete("k", tomb));
}

TEST_CASE(
    "tombstone gc: a range's state is the oldest repair of its parts, never with a gap, and its "
    "purge horizon is the rule's") {
  Fixture f;
  REQUIRE(f.env->CreateDirs("/node").ok());
  auto gc = f.Open();
  const TokenRange range{1000, 5000};
  TombstoneGc::RangeState never = gc->StateOf(range);
  CHECK(never.last_complete_repair_micros == 0);
  CHECK_FALSE(never.purge_written_by_micros.has_value());

  // Two parts repaired, one part not: still never for the whole range.
  REQUIRE(gc->RecordCompleteRepair(TokenRange{500, 2000}, kT0 + 300 * kSecond).ok());
  REQUIRE(gc->RecordCompleteRepair(TokenRange{3000, 6000}, kT0 + 200 * kSecond).ok());
  CHECK(gc->StateOf(range).last_complete_repair_micros == 0);
  CHECK(gc->StateOf(TokenRange{3500, 4000}).last_complete_repair_micros == kT0 + 200 * kSecond);
  // The gap filled: the oldest of the three parts answers, and the horizon is a grace before it.
  REQUIRE(gc->RecordCompleteRepair(TokenRange{2000, 3000}, kT0 + 400 * kSecond).ok());
  const TombstoneGc::RangeState state = gc->StateOf(range);
  CHECK(state.last_complete_repair_micros == kT0 + 200 * kSecond);
  REQUIRE(state.purge_written_by_micros.has_value());
  CHECK(*state.purge_written_by_micros == kT0 + 100 * kSecond);

  // The horizon is exactly what IsObsolete applies (a whole-ring record, so it covers any key).
  REQUIRE(gc->RecordCompleteRepair(kWholeRing, kT0 + 200 * kSecond).ok());
  const TombstoneGc::RangeState whole = gc->StateOf(kWholeRing);
  CHECK(whole.last_complete_repair_micros == kT0 + 200 * kSecond);
  CHECK(*whole.purge_written_by_micros == kT0 + 100 * kSecond);
  f.now = kT0 + 1000 * kSecond;
  CHECK(gc->IsObsolete("k", SetOf(true, *whole.purge_written_by_micros)));
  CHECK_FALSE(gc->IsObsolete("k", SetOf(true, *whole.purge_written_by_micros + 1)));
  // A range that wraps past the top, covered by the whole-ring record.
  CHECK(gc->StateOf(TokenRange{UINT64_MAX - 5, 5}).last_complete_repair_micros ==
        kT0 + 200 * kSecond);
}

TEST_CASE("tombstone gc: a range's state without the complete-repair condition: the grace alone") {
  Fixture f;
  auto gc = f.Open(/*require_complete_repair=*/false);
  f.now = kT0;
  const TombstoneGc::RangeState state = gc->StateOf(kWholeRing);
  CHECK(state.last_complete_repair_micros == 0);
  REQUIRE(state.purge_written_by_micros.has_value());
  CHECK(*state.purge_written_by_micros == kT0 - 100 * kSecond);
}

}  // namespace kv
