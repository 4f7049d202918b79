// DotReservation: dot counters reserved durably in blocks, so that a coordinator that crashes
// after its write's set left for the other replicas, and before its own fsync, never gives that
// dot to another write after the restart (the write path sends before it syncs).
#include "libkv/replication/dot_reservation.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <set>

#include "libkv/env/fault_injection_env.h"
#include "libkv/replication/replica_store.h"
#include "libkv/storage/engine.h"
#include "tests/storage/gated_sync_env.h"
#include "tests/storage/quiet_logger.h"

namespace kv {
namespace {

constexpr ClockId kClock = 0xc0ffee;

// A coordinated write submitted to the engine: what its merge decided (the set the other
// replicas are sent), and its completion.
class CoordinatedWrite final : public EngineWrite {
 public:
  CoordinatedWrite(const ReplicaStore& store, std::string k, std::string v) : owned_key(k) {
    SiblingWrite w;
    w.value = std::move(v);
    w.now_micros = 1;
    rule = store.CoordinateRule(std::move(k), std::move(w), nullptr, &encoded);
    kind = Kind::kUpdate;
    key = owned_key;
    merge = &rule;
  }
  void Decided() override {
    std::lock_guard lock(mu);
    decided = true;
    cv.notify_all();
  }
  void Done(Status s) override {
    std::lock_guard lock(mu);
    status = std::move(s);
    done = true;
    cv.notify_all();
  }
  void WaitDecided() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return decided || done; });
  }
  void WaitDone() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  }

  std::string owned_key, encoded;
  MergeFn rule;
  std::mutex mu;
  std::condition_variable cv;
  bool decided = false, done = false;
  Status status;
};

std::set<std::string> Values(const SiblingSet& s) {
  std::set<std::string> out;
  for (const Version& v : s.versions()) out.insert(v.value);
  return out;
}

SiblingWrite Blind(std::string value) {
  SiblingWrite w;
  w.value = std::move(value);
  w.now_micros = 1;
  return w;
}

EngineOptions Options(Env* env) {
  EngineOptions o;
  o.env = env;
  o.dir = "/db";
  o.logger = testing::QuietLogger();
  return o;
}

// Coordinates a blind write of `value` to key "k" on a node whose commit log never reaches the
// disk: the set is decided and (as the coordinator would) sent on, then the node crashes before
// its fsync. It restarts on what survived and coordinates a second blind write. Returns the
// union a replica holds that got both sets.
SiblingSet CrashBetweenDotAndSync(bool reserve) {
  auto mem = NewMemEnv();
  FaultInjectionEnv disk(mem.get());
  GatedSyncEnv gate(&disk);
  SiblingSet replica;
  {
    auto dots = DotReservation::Open(&disk, "/db", kClock, /*block=*/16);
    REQUIRE(dots.ok());
    auto engine = std::move(*Engine::Open(Options(&gate)));
    ReplicaStore store(engine.get(), kClock, reserve ? dots->get() : nullptr);
    // Some history first, synced.
    REQUIRE(store.Coordinate("k", Blind("old")).ok());
    gate.Close();
    CoordinatedWrite first(store, "k", "first");
    engine->Submit(&first);
    first.WaitDecided();
    REQUIRE(first.decided);
    replica = *SiblingSet::Decode(first.encoded);  // the other replicas got this
    gate.WaitForBlockedSync();
    REQUIRE(disk.SimulateCrash().ok());  // power lost before the fsync
    disk.SetFilesystemActive(false);
    gate.Open();
    first.WaitDone();
    CHECK(!first.status.ok());  // the coordinator never acknowledged it
  }
  disk.SetFilesystemActive(true);
  auto dots = DotReservation::Open(&disk, "/db", kClock, 16);
  REQUIRE(dots.ok());
  auto engine = std::move(*Engine::Open(Options(&disk)));
  ReplicaStore store(engine.get(), kClock, reserve ? dots->get() : nullptr);
  auto local = store.Read("k");
  REQUIRE(local.ok());
  CHECK(Values(*local) == std::set<std::string>{"old"});  // "first" is gone here
  auto second = store.Coordinate("k", Blind("second"));
  REQUIRE(second.ok());
  replica.Merge(*second);
  return replica;
}

}  // namespace

TEST_CASE("dot reservation: the file round-trips and refuses what it cannot read") {
  auto text = EncodeDotReservation(0xabc, 123456);
  auto back = DecodeDotReservation(text);
  REQUIRE(back.ok());
  CHECK(back->clock_id == 0xabc);
  CHECK(back->reserved_through == 123456);
  for (std::string bad : {std::string(""), text.substr(0, text.size() - 1), text + "x",
                          std::string("kv-dot-reservation 1\nclock_id=00000000000000ab\n"),
                          std::string("kv-dot-reservation 1\nclock_id=0000000000000000\n"
                                      "reserved_through=5\n"),
                          std::string("kv-dot-reservation 1\nclock_id=00000000000000ab\n"
                                      "reserved_through=-5\n")})
    CHECK(DecodeDotReservation(bad).status().code() == ErrorCode::kCorruption);
  auto env = NewMemEnv();
  REQUIRE(env->WriteFileAtomically("/d/DOTS", "garbage").ok());
  auto opened = DotReservation::Open(env.get(), "/d", 0xabc);
  CHECK(opened.status().code() == ErrorCode::kCorruption);
  CHECK(opened.status().message().find("/d/DOTS") != std::string::npos);
}

TEST_CASE("dot reservation: a restart begins past every counter reserved, in blocks") {
  auto env = NewMemEnv();
  uint64_t last = 0;
  for (int life = 0; life < 3; ++life) {
    auto dots = DotReservation::Open(env.get(), "/d", kClock, 10);
    REQUIRE(dots.ok());
    for (int i = 0; i < 25; ++i) {
      auto next = (*dots)->Next();
      REQUIRE(next.ok());
      CHECK(*next > last);
      CHECK(*next <= (*dots)->reserved_through());
      REQUIRE((*dots)->Issued(*next).ok());
      last = *next;
    }
    // What the file says covers everything handed out.
    auto record = DecodeDotReservation(*env->ReadFileToString("/d/DOTS"));
    REQUIRE(record.ok());
    CHECK(record->reserved_through >= last);
  }
  // A dot that took a counter past the block (the key's own history was ahead) moves it on.
  auto dots = std::move(*DotReservation::Open(env.get(), "/d", kClock, 10));
  REQUIRE(dots->Issued(last + 1000).ok());
  CHECK(dots->reserved_through() >= last + 1000);
  CHECK(*dots->Next() == last + 1001);
  // Another clock id (the node took a new one) starts afresh.
  auto other = std::move(*DotReservation::Open(env.get(), "/d", kClock + 1, 10));
  CHECK(*other->Next() == 1);
}

TEST_CASE("dot reservation: a coordinator crashing between dot and fsync never reuses the dot") {
  SiblingSet replica = CrashBetweenDotAndSync(/*reserve=*/true);
  // Both writes are there, as siblings: the second was blind and could not supersede the first.
  CHECK(Values(replica) == std::set<std::string>{"old", "first", "second"});
  std::set<uint64_t> counters;
  for (const Version& v : replica.versions()) counters.insert(v.dot.counter);
  CHECK(counters.size() == 3);
}

TEST_CASE("dot reservation: positive control — without it the restarted node reuses the dot") {
  // The same crash with per-key counters only: the second write gets the first's dot, the
  // replica takes it for the version it has, and "second" — acknowledged — is lost there.
  SiblingSet replica = CrashBetweenDotAndSync(/*reserve=*/false);
  CHECK(Values(replica) != std::set<std::string>{"old", "first", "second"});
  CHECK(replica.size() == 2);
}

}  // namespace kv
