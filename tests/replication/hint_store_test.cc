// HintStore: hints handed out oldest first per target and removed once; counts and sequence
// numbers across a reopen; durability across simulated power loss (with the positive control:
// sync off loses them); expiry by age; undecodable records reported, dropped, never returned.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "libkv/base/coding.h"
#include "libkv/base/limits.h"
#include "libkv/env/env.h"
#include "libkv/env/fault_injection_env.h"
#include "libkv/replication/hint_store.h"
#include "libkv/storage/engine.h"
#include "tests/storage/quiet_logger.h"

namespace kv {
namespace {

constexpr uint64_t kHour = uint64_t{3600} * 1000 * 1000;
constexpr uint64_t kT0 = uint64_t{1'700'000'000} * 1000 * 1000;

HintStoreOptions Options(Env* env, SyncMode sync = SyncMode::kBatch) {
  HintStoreOptions o;
  o.env = env;
  o.dir = HintDir("/node");
  o.sync = sync;
  o.logger = testing::QuietLogger();
  return o;
}

std::unique_ptr<HintStore> OpenStore(const HintStoreOptions& o) {
  auto store = HintStore::Open(o);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(*store);
}

std::vector<Hint> PendingAll(HintStore& store, std::string_view target, uint64_t now = kT0) {
  auto got = store.Pending(target, 100000, size_t{1} << 40, now);
  REQUIRE_MESSAGE(got.ok(), got.status().ToString());
  return std::move(*got);
}

std::vector<std::string> KeysOf(const std::vector<Hint>& hints) {
  std::vector<std::string> keys;
  for (const Hint& h : hints) keys.push_back(h.key);
  return keys;
}

// The layout of docs/formats.md, "Hint store", built here by hand rather than with the store's
// code, so the tests also check that the store follows the document.
std::string HintKey(std::string_view target, uint64_t sequence) {
  std::string key(target);
  key.push_back('\0');
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(sequence >> shift));
  return key;
}

std::string HintRecord(std::string_view key, std::string_view siblings, uint64_t created,
                       uint8_t version = 1) {
  std::string record(1, static_cast<char>(version));
  PutFixed64(&record, created);
  PutLengthPrefixed(&record, key);
  PutLengthPrefixed(&record, siblings);
  return record;
}

void Check(const Status& s) {
  REQUIRE_MESSAGE(s.ok(), s.ToString());
}

}  // namespace

TEST_CASE("hint store: add, pending oldest first per target, remove, counts") {
  auto env = NewMemEnv();
  auto store = OpenStore(Options(env.get()));
  // "ab" shares a prefix with "a": the separator must keep their hints apart.
  Check(store->Add("a", "k1", "s1", kT0));
  Check(store->Add("ab", "k2", "s2", kT0 + 1));
  Check(store->Add("a", "k3", "s3", kT0 + 2));
  Check(store->Add("b", "k4", "s4", kT0 + 3));
  Check(store->Add("a", "k5", "s5", kT0 + 4));

  std::vector<Hint> a = PendingAll(*store, "a");
  CHECK(KeysOf(a) == std::vector<std::string>{"k1", "k3", "k5"});
  REQUIRE(a.size() == 3);
  CHECK(a[0].sequence < a[1].sequence);
  CHECK(a[1].sequence < a[2].sequence);
  CHECK(a[1].target == "a");
  CHECK(a[1].siblings == "s3");
  CHECK(a[1].created_micros == kT0 + 2);
  CHECK(KeysOf(PendingAll(*store, "ab")) == std::vector<std::string>{"k2"});
  CHECK(KeysOf(PendingAll(*store, "b")) == std::vector<std::string>{"k4"});
  CHECK(PendingAll(*store, "c").empty());

  // Each of these hints: engine key 1 + 1 + 8 bytes, record 1 + 8 + lp("kN") 3 + lp("sN") 3.
  auto counts = store->PendingCounts();
  CHECK(counts.size() == 3);
  CHECK(counts["a"].hints == 3);
  CHECK(counts["a"].bytes == 3 * 25);
  CHECK(counts["ab"].hints == 1);
  CHECK(counts["ab"].bytes == 26);
  CHECK(counts["b"].hints == 1);

  // Limits: max_count; max_bytes stops after the hint that reaches it (4 bytes of key and
  // siblings each), and never returns nothing when there is something.
  CHECK(KeysOf(*store->Pending("a", 2, 1 << 20, kT0)) == std::vector<std::string>{"k1", "k3"});
  CHECK(KeysOf(*store->Pending("a", 10, 5, kT0)) == std::vector<std::string>{"k1", "k3"});
  CHECK(KeysOf(*store->Pending("a", 10, 1, kT0)) == std::vector<std::string>{"k1"});
  CHECK(store->Pending("a", 0, 1 << 20, kT0)->empty());

  Check(store->Remove(a[0]));
  CHECK(KeysOf(PendingAll(*store, "a")) == std::vector<std::string>{"k3", "k5"});
  Check(store->Remove(a[0]));  // delivered twice: a no-op, counted once
  Check(store->Remove("a", a[2].sequence));
  CHECK(KeysOf(PendingAll(*store, "a")) == std::vector<std::string>{"k3"});
  counts = store->PendingCounts();
  CHECK(counts["a"].hints == 1);
  CHECK(counts["a"].bytes == 25);
  CHECK(store->stats().stored == 5);
  CHECK(store->stats().delivered == 2);

  // Bad input writes and counts nothing.
  CHECK(store->Add("", "k", "s", kT0).Is(ErrorCode::kInvalidArgument));
  CHECK(store->Add("a", "", "s", kT0).Is(ErrorCode::kInvalidArgument));
  CHECK(store->Add(std::string("a\0b", 3), "k", "s", kT0).Is(ErrorCode::kInvalidArgument));
  CHECK(store->Add(std::string(256, 'n'), "k", "s", kT0).Is(ErrorCode::kInvalidArgument));
  // A largest stored sibling set leaves no room for the record around it.
  CHECK(store->Add("a", "k", std::string(kMaxStoredValueBytes, 's'), kT0)
            .Is(ErrorCode::kInvalidArgument));
  CHECK(store->stats().stored == 5);
  CHECK(store->PendingCounts().size() == 3);

  Check(store->Close());
  CHECK(store->Add("a", "k", "s", kT0).Is(ErrorCode::kUnavailable));
  CHECK(store->Pending("a", 1, 1, kT0).status().Is(ErrorCode::kUnavailable));
}

TEST_CASE("hint store: reopen keeps hints and counts — sequence numbers continue") {
  auto env = NewMemEnv();
  std::map<std::string, HintBacklog> counts_before;
  std::vector<Hint> a_before;
  {
    auto store = OpenStore(Options(env.get()));
    for (int i = 0; i < 3; i++) Check(store->Add("a", fmt::format("ka{}", i), "sib", kT0 + i));
    for (int i = 0; i < 2; i++) Check(store->Add("b", fmt::format("kb{}", i), "sib", kT0 + i));
    counts_before = store->PendingCounts();
    a_before = PendingAll(*store, "a");
    Check(store->Close());
  }
  uint64_t highest = 0;
  {
    auto store = OpenStore(Options(env.get()));
    auto counts = store->PendingCounts();
    REQUIRE(counts.size() == 2);
    CHECK(counts["a"].hints == 3);
    CHECK(counts["a"].bytes == counts_before["a"].bytes);
    CHECK(counts["b"].hints == 2);
    CHECK(counts["b"].bytes == counts_before["b"].bytes);
    std::vector<Hint> a = PendingAll(*store, "a");
    REQUIRE(a.size() == 3);
    for (size_t i = 0; i < a.size(); i++) {
      CHECK(a[i].sequence == a_before[i].sequence);
      CHECK(a[i].key == a_before[i].key);
      CHECK(a[i].created_micros == a_before[i].created_micros);
    }
    CHECK(store->stats().stored == 0);  // since this Open

    Check(store->Add("a", "after", "sib", kT0 + 10));
    std::vector<Hint> now = PendingAll(*store, "a");
    REQUIRE(now.size() == 4);
    CHECK(now.back().key == "after");
    CHECK(now.back().sequence > a.back().sequence);
    highest = now.back().sequence;
    for (const Hint& h : now) Check(store->Remove(h));
    for (const Hint& h : PendingAll(*store, "b")) Check(store->Remove(h));
    CHECK(store->PendingCounts().empty());
    Check(store->Close());
  }
  {
    // Nothing left to scan: the numbers must still not start over.
    auto store = OpenStore(Options(env.get()));
    CHECK(store->PendingCounts().empty());
    Check(store->Add("a", "later", "sib", kT0 + 20));
    std::vector<Hint> a = PendingAll(*store, "a");
    REQUIRE(a.size() == 1);
    CHECK(a[0].sequence > highest);
  }
}

namespace {

struct PowerLossOutcome {
  size_t added = 0, removed = 0, survived = 0, wrong = 0, resurrected = 0;
};

// Adds hints for three targets and removes some, then loses power without a Close (unsynced
// bytes dropped) and reopens: counts what survived and anything that came back wrong.
PowerLossOutcome AddThenLosePower(SyncMode sync) {
  auto mem = NewMemEnv();
  FaultInjectionEnv env(mem.get());
  std::map<std::pair<std::string, std::string>, std::string> added;  // (target, key) -> siblings
  std::set<std::pair<std::string, std::string>> removed;
  {
    auto store = OpenStore(Options(&env, sync));
    for (int i = 0; i < 60; i++) {
      const std::string target = fmt::format("node{}", i % 3);
      const std::string key = fmt::format("key{:03}", i);
      const std::string siblings = fmt::format("{}-{}", key, std::string(i * 7, 's'));
      Check(store->Add(target, key, siblings, kT0 + i));
      added[{target, key}] = siblings;
    }
    auto oldest = store->Pending("node1", 10, size_t{1} << 30, kT0);
    REQUIRE(oldest.ok());
    for (const Hint& h : *oldest) {
      Check(store->Remove(h));
      removed.insert({h.target, h.key});
    }
  }  // abandoned, as kill -9 would
  REQUIRE(env.SimulateCrash().ok());

  PowerLossOutcome out;
  out.added = added.size();
  out.removed = removed.size();
  auto store = OpenStore(Options(&env, sync));
  for (const char* target : {"node0", "node1", "node2"}) {
    for (const Hint& h : PendingAll(*store, target)) {
      auto it = added.find({h.target, h.key});
      if (it == added.end() || it->second != h.siblings) {
        out.wrong++;
      } else if (removed.count({h.target, h.key})) {
        out.resurrected++;
      } else {
        out.survived++;
      }
    }
  }
  uint64_t counted = 0;
  for (const auto& [target, backlog] : store->PendingCounts()) counted += backlog.hints;
  CHECK(counted == out.survived + out.resurrected + out.wrong);
  MESSAGE(fmt::format("sync {}: added {} removed {} survived {} resurrected {} wrong {}",
                      SyncModeName(sync), out.added, out.removed, out.survived, out.resurrected,
                      out.wrong));
  return out;
}

}  // namespace

TEST_CASE("hint store: hints stored in batch sync survive power loss, removals stay removed") {
  PowerLossOutcome out = AddThenLosePower(SyncMode::kBatch);
  CHECK(out.removed == 10);
  CHECK(out.survived == out.added - out.removed);
  CHECK(out.resurrected == 0);
  CHECK(out.wrong == 0);
}

TEST_CASE("hint store: positive control, with sync off power loss does lose hints") {
  // The same checker must see hints missing when nothing is fsynced.
  PowerLossOutcome out = AddThenLosePower(SyncMode::kOff);
  CHECK(out.survived < out.added - out.removed);
  CHECK(out.wrong == 0);
}

TEST_CASE("hint store: hints older than max_age are dropped and counted, fresh ones kept") {
  CHECK(HintStoreOptions{}.max_age == std::chrono::hours(3));
  auto env = NewMemEnv();
  HintStoreOptions o = Options(env.get());
  o.max_age = std::chrono::hours(1);
  auto store = OpenStore(o);
  Check(store->Add("a", "old", "s", kT0));
  Check(store->Add("a", "edge", "s", kT0 + kHour));  // exactly max_age old below: kept
  Check(store->Add("a", "fresh", "s", kT0 + 2 * kHour));
  Check(store->Add("b", "old", "s", kT0));
  Check(store->Add("b", "future", "s", kT0 + 5 * kHour));  // the clock stepped back: kept
  const uint64_t now = kT0 + 2 * kHour;

  CHECK(KeysOf(PendingAll(*store, "a", now)) == std::vector<std::string>{"edge", "fresh"});
  CHECK(store->stats().expired == 1);
  CHECK(store->PendingCounts()["a"].hints == 2);
  CHECK(store->PendingCounts()["b"].hints == 2);  // Pending("a") leaves "b" alone

  auto dropped = store->DropExpired(now);
  REQUIRE(dropped.ok());
  CHECK(*dropped == 1);  // b's old one
  CHECK(store->stats().expired == 2);
  CHECK(KeysOf(PendingAll(*store, "b", now)) == std::vector<std::string>{"future"});
  CHECK(*store->DropExpired(now) == 0);

  dropped = store->DropExpired(kT0 + 10 * kHour);
  REQUIRE(dropped.ok());
  CHECK(*dropped == 3);
  CHECK(store->stats().expired == 5);
  CHECK(store->PendingCounts().empty());
  CHECK(store->stats().delivered == 0);
}

TEST_CASE("hint store: undecodable records are reported as corruption, dropped, never returned") {
  auto env = NewMemEnv();
  const HintStoreOptions o = Options(env.get());
  {
    auto store = OpenStore(o);
    Check(store->Add("a", "k1", "first", kT0));
    Check(store->Close());
  }
  const std::string valid = HintRecord("k", "ss", kT0);
  std::vector<std::string> corrupt = {"garbage", HintRecord("k", "ss", kT0, /*version=*/2),
                                      valid + "x", HintRecord("", "ss", kT0)};
  for (size_t n = 0; n < valid.size(); n++) corrupt.push_back(valid.substr(0, n));
  {
    EngineOptions eo;
    eo.env = env.get();
    eo.dir = o.dir;
    eo.logger = testing::QuietLogger();
    auto engine = std::move(*Engine::Open(eo));
    for (size_t i = 0; i < corrupt.size(); i++)
      Check(engine->Put(HintKey("a", 1000 + i), corrupt[i]));
    // A key with a short sequence inside a's range, and one with no separator at all.
    Check(engine->Put(std::string("a\0\xff\xff\xff", 5), valid));
    Check(engine->Put("stray", valid));
    // A record built by hand from docs/formats.md: the store must read it.
    Check(engine->Put(HintKey("a", 5000), HintRecord("hand", "made", kT0 + 7)));
    Check(engine->Put(HintKey("c", 7), "garbage for DropExpired"));
    Check(engine->Close());
  }

  auto store = OpenStore(o);
  // Counted by key (the records are not decoded at Open): k1, the corrupt ones, the hand-made.
  CHECK(store->PendingCounts()["a"].hints == 1 + corrupt.size() + 1);

  size_t corruptions = 0;
  std::string first_message;
  std::vector<Hint> returned;
  for (int call = 0; call < 100; call++) {
    auto got = store->Pending("a", 1000, size_t{1} << 30, kT0);
    if (got.ok()) {
      returned = std::move(*got);
      break;
    }
    REQUIRE_MESSAGE(got.status().Is(ErrorCode::kCorruption), got.status().ToString());
    if (corruptions++ == 0) first_message = got.status().message();
  }
  CHECK(corruptions == corrupt.size() + 1);  // and the short key
  CHECK(first_message.find("\"a\"") != std::string::npos);
  CHECK(first_message.find("sequence 1000") != std::string::npos);
  REQUIRE(KeysOf(returned) == std::vector<std::string>{"k1", "hand"});
  CHECK(returned[1].sequence == 5000);
  CHECK(returned[1].siblings == "made");
  CHECK(returned[1].created_micros == kT0 + 7);
  CHECK(store->stats().corrupt == corrupt.size() + 1);
  CHECK(store->PendingCounts()["a"].hints == 2);

  // DropExpired finishes its sweep past undecodable entries, then reports them.
  auto swept = store->DropExpired(kT0);
  CHECK(swept.status().Is(ErrorCode::kCorruption));
  CHECK(store->stats().corrupt == corrupt.size() + 3);  // "stray" and c's garbage
  CHECK(store->PendingCounts().count("c") == 0);
  swept = store->DropExpired(kT0);
  REQUIRE(swept.ok());
  CHECK(*swept == 0);
  CHECK(KeysOf(PendingAll(*store, "a")) == std::vector<std::string>{"k1", "hand"});
}

TEST_CASE("hint store: concurrent adds get distinct sequences — duplicate removes count once") {
  auto env = NewMemEnv();
  auto store = OpenStore(Options(env.get()));
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++)
        CHECK(store->Add(fmt::format("n{}", i % 3), fmt::format("t{}-{}", t, i), "s", kT0).ok());
    });
  for (auto& th : threads) th.join();
  threads.clear();

  std::vector<Hint> all;
  std::set<uint64_t> sequences;
  for (const char* target : {"n0", "n1", "n2"})
    for (Hint& h : PendingAll(*store, target)) {
      sequences.insert(h.sequence);
      all.push_back(std::move(h));
    }
  CHECK(all.size() == kThreads * kPerThread);
  CHECK(sequences.size() == all.size());

  // Every thread delivers every hint: each must still be counted exactly once.
  for (int t = 0; t < kThreads; t++)
    threads.emplace_back([&] {
      for (const Hint& h : all) CHECK(store->Remove(h).ok());
    });
  for (auto& th : threads) th.join();
  CHECK(store->stats().delivered == all.size());
  CHECK(store->PendingCounts().empty());
  CHECK(PendingAll(*store, "n0").empty());
}

TEST_CASE("hint store: quotas per target and in all refuse a hint, count it nowhere") {
  std::unique_ptr<Env> env = NewMemEnv();
  HintStoreOptions o = Options(env.get());
  o.max_target_bytes = kMinHintQuota;
  o.max_total_bytes = kMinHintQuota + kMinHintQuota / 2;
  std::unique_ptr<HintStore> store = OpenStore(o);
  const std::string siblings(1 << 20, 's');  // a 1 MiB set: about 1 MiB a hint
  int stored_a = 0;
  Status refused;
  for (int i = 0; i < 64 && refused.ok(); ++i) {
    refused = store->Add("a", fmt::format("k{}", i), siblings, kT0);
    if (refused.ok()) ++stored_a;
  }
  CHECK(refused.code() == ErrorCode::kUnavailable);
  CHECK(refused.message().find("--hint-quota-per-node") != std::string::npos);
  CHECK(stored_a == 31);  // 32 MiB per target, a little over 1 MiB a hint
  CHECK(store->PendingCounts().at("a").hints == 31);
  CHECK(store->total_bytes() <= o.max_target_bytes);
  // Another target has its own quota, until the total's.
  Status total;
  int stored_b = 0;
  for (int i = 0; i < 64 && total.ok(); ++i) {
    total = store->Add("b", fmt::format("k{}", i), siblings, kT0);
    if (total.ok()) ++stored_b;
  }
  CHECK(total.code() == ErrorCode::kUnavailable);
  CHECK(total.message().find("--hint-quota)") != std::string::npos);
  CHECK(stored_b == 16);
  CHECK(store->total_bytes() <= o.max_total_bytes);
  // Delivering frees quota.
  std::vector<Hint> pending = PendingAll(*store, "a");
  for (const Hint& h : pending) REQUIRE(store->Remove(h).ok());
  CHECK(store->PendingCounts().count("a") == 0);
  CHECK(store->Add("b", "again", siblings, kT0).ok());
  // A reopen counts the total again.
  const uint64_t before = store->total_bytes();
  REQUIRE(store->Close().ok());
  store.reset();
  store = OpenStore(o);
  CHECK(store->total_bytes() == before);
}

}  // namespace kv
