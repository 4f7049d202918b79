#include "libkv/versioning/sibling_set.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "libkv/versioning/context_token.h"
#include "libkv/versioning/versioning_format.h"

namespace kv {
namespace {

constexpr uint64_t kSeed = 4242;
constexpr ClockId kA = 0xa;
constexpr ClockId kB = 0xb;
const ClockPruneOptions kNoPrune{.max_entries = 1000, .min_age_micros = 0};

std::set<std::string> Values(const SiblingSet& s) {
  std::set<std::string> out;
  for (const Version& v : s.versions()) out.insert(v.tombstone ? "<tombstone>" : v.value);
  return out;
}

SiblingWrite W(const VectorClock& context, ClockId coordinator, std::string value, uint64_t now) {
  return SiblingWrite{.context = context,
                      .coordinator = coordinator,
                      .tombstone = false,
                      .value = std::move(value),
                      .now_micros = now};
}

// Put, which must succeed; returns the new version.
Version MustPut(SiblingSet& s, SiblingWrite w, const ClockPruneOptions& prune) {
  auto dot = s.Put(std::move(w), prune);
  REQUIRE(dot.ok());
  const Version* v = s.Find(*dot);
  REQUIRE(v != nullptr);
  return *v;
}

// The rule a last-write-wins store uses: keep the version with the latest timestamp.
SiblingSet LastWriteWinsMerge(const SiblingSet& a, const SiblingSet& b) {
  std::vector<Version> all = a.versions();
  all.insert(all.end(), b.versions().begin(), b.versions().end());
  SiblingSet out;
  if (all.empty()) return out;
  out.Add(*std::max_element(all.begin(), all.end(), [](const Version& x, const Version& y) {
    return x.timestamp_micros < y.timestamp_micros;
  }));
  return out;
}

// A random version: a random clock and a dot beyond it, values drawn from few, so equal and
// dominated versions are common.
Version RandomVersion(std::mt19937_64& rng) {
  Version v;
  const int n = static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) v.clock.Witness(1 + rng() % 4, 1 + rng() % 3, 10);
  v.dot.id = 1 + rng() % 4;
  v.dot.counter = v.clock.CounterOf(v.dot.id) + 1 + rng() % 2;
  v.tombstone = rng() % 5 == 0;
  if (!v.tombstone) v.value = std::string(1, static_cast<char>('a' + rng() % 3));
  v.timestamp_micros = rng() % 3;
  return v;
}

SiblingSet RandomSet(std::mt19937_64& rng) {
  SiblingSet s;
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) s.Add(RandomVersion(rng));
  return s;
}

// The invariant of sibling_set.h.
bool WellFormed(const SiblingSet& s) {
  const auto& vs = s.versions();
  for (size_t i = 0; i < vs.size(); ++i) {
    for (size_t j = 0; j < vs.size(); ++j) {
      if (i != j && CompareVersions(vs[i], vs[j]) != ClockOrder::kConcurrent) return false;
    }
    if (i > 0 && !(vs[i - 1].dot <= vs[i].dot)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("sibling set: a write with the context it read supersedes what it saw") {
  SiblingSet s;
  MustPut(s, W({}, kA, "one", 1), kNoPrune);
  CHECK(Values(s) == std::set<std::string>{"one"});
  MustPut(s, W(s.Context(), kA, "two", 2), kNoPrune);
  CHECK(Values(s) == std::set<std::string>{"two"});
  REQUIRE(s.size() == 1);
  // With a fresh context the history is the context incremented at the coordinator (Dynamo).
  CHECK(s.versions()[0].HistoryClock().Compare(s.Context()) == ClockOrder::kEqual);
  CHECK(s.Context().CounterOf(kA) == 2);
}

TEST_CASE("sibling set: writes without a context become siblings, even at one coordinator") {
  SiblingSet s;
  MustPut(s, W({}, kA, "one", 1), kNoPrune);
  MustPut(s, W({}, kA, "two", 2), kNoPrune);  // a plain clock {a:2} would have dominated {a:1}
  MustPut(s, W({}, kB, "three", 3), kNoPrune);
  CHECK(Values(s) == std::set<std::string>{"one", "two", "three"});
  // Reading all three and writing with their context resolves them.
  MustPut(s, W(s.Context(), kB, "merged", 4), kNoPrune);
  CHECK(Values(s) == std::set<std::string>{"merged"});
}

TEST_CASE("sibling set: a context write supersedes exactly the versions it saw") {
  SiblingSet s;
  MustPut(s, W({}, kA, "x", 1), kNoPrune);
  MustPut(s, W({}, kB, "y", 2), kNoPrune);
  const VectorClock seen = s.Context();          // a client reads x and y
  MustPut(s, W({}, kA, "late-a", 3), kNoPrune);  // then two writes it did not see
  MustPut(s, W({}, kB, "late-b", 4), kNoPrune);
  MustPut(s, W(seen, kA, "resolved", 5), kNoPrune);
  CHECK(Values(s) == std::set<std::string>{"late-a", "late-b", "resolved"});
}

TEST_CASE("sibling set: delete writes a tombstone the same way") {
  SiblingSet s;
  MustPut(s, W({}, kA, "x", 1), kNoPrune);
  CHECK_FALSE(s.AllTombstones());
  SiblingWrite del = W(s.Context(), kB, "ignored", 2);
  del.tombstone = true;
  const Version t = MustPut(s, del, kNoPrune);
  CHECK(t.tombstone);
  CHECK(t.value.empty());
  CHECK(s.size() == 1);
  CHECK(s.AllTombstones());
  CHECK_FALSE(SiblingSet().AllTombstones());
}

TEST_CASE("sibling set: tombstone-only sets are told from their bytes, with the newest time") {
  SiblingSet s;
  MustPut(s, W({}, kA, "x", 1), kNoPrune);
  CHECK_FALSE(SiblingSet::NewestTombstoneIfOnlyTombstones(s.Encode()).has_value());
  SiblingWrite del = W(s.Context(), kB, "", 20);
  del.tombstone = true;
  MustPut(s, del, kNoPrune);
  CHECK(SiblingSet::NewestTombstoneIfOnlyTombstones(s.Encode()) == 20);
  // A concurrent blind delete: two tombstones, the newer one's time.
  SiblingWrite blind = W({}, kA, "", 30);
  blind.tombstone = true;
  MustPut(s, blind, kNoPrune);
  REQUIRE(s.size() == 2);
  CHECK(SiblingSet::NewestTombstoneIfOnlyTombstones(s.Encode()) == 30);
  // A concurrent value beside them: not tombstones only.
  MustPut(s, W({}, kB, "y", 40), kNoPrune);
  CHECK_FALSE(SiblingSet::NewestTombstoneIfOnlyTombstones(s.Encode()).has_value());
  // Empty sets, other formats, truncated and trailing bytes: no answer.
  CHECK_FALSE(SiblingSet::NewestTombstoneIfOnlyTombstones(SiblingSet().Encode()).has_value());
  CHECK_FALSE(SiblingSet::NewestTombstoneIfOnlyTombstones("").has_value());
  SiblingSet t;
  MustPut(t, del, kNoPrune);
  const std::string bytes = t.Encode();
  REQUIRE(SiblingSet::NewestTombstoneIfOnlyTombstones(bytes) == 20);
  for (size_t cut = 0; cut < bytes.size(); ++cut)
    CHECK_FALSE(SiblingSet::NewestTombstoneIfOnlyTombstones(bytes.substr(0, cut)).has_value());
  CHECK_FALSE(SiblingSet::NewestTombstoneIfOnlyTombstones(bytes + "x").has_value());
  std::string other = bytes;
  other[0] = static_cast<char>(kSiblingSetFormatVersion + 1);
  CHECK_FALSE(SiblingSet::NewestTombstoneIfOnlyTombstones(other).has_value());
}

TEST_CASE("sibling set: min_counter keeps dots unique when the local set forgot its writes") {
  SiblingSet before;
  MustPut(before, W({}, kA, "old", 1), kNoPrune);
  SiblingSet forgot;  // the same coordinator after losing its data, without a node-wide counter
  const Version reused = MustPut(forgot, W({}, kA, "new", 2), kNoPrune);
  CHECK(reused.dot == before.versions()[0].dot);          // KV679: the same event twice...
  CHECK(SiblingSet::Merged(before, forgot).size() == 1);  // ...and one write is gone
  SiblingSet counted;
  SiblingWrite w = W({}, kA, "new", 2);
  w.min_counter = 1000;  // from a persisted node-wide counter
  MustPut(counted, w, kNoPrune);
  CHECK(Values(SiblingSet::Merged(before, counted)) == std::set<std::string>{"old", "new"});
}

TEST_CASE("sibling set: a forged context at the counter's maximum is refused") {
  SiblingSet s;
  MustPut(s, W({}, kA, "x", 1), kNoPrune);
  VectorClock forged;
  forged.Witness(kA, ~0ull, 0);
  auto r = s.Put(W(forged, kA, "y", 2), kNoPrune);
  CHECK(r.status().Is(ErrorCode::kInvalidArgument));
  CHECK(Values(s) == std::set<std::string>{"x"});  // unchanged
  CHECK(s.Find(Dot{kA, 1}) != nullptr);
  CHECK(s.Find(Dot{kA, 2}) == nullptr);
}

TEST_CASE("sibling set: positive control, last-write-wins loses a concurrent write") {
  SiblingSet at_a;
  SiblingSet at_b;
  MustPut(at_a, W({}, kA, "from-a", 100), kNoPrune);
  MustPut(at_b, W({}, kB, "from-b", 200), kNoPrune);  // both acknowledged
  const SiblingSet lww = LastWriteWinsMerge(at_a, at_b);
  CHECK(Values(lww) == std::set<std::string>{"from-b"});  // "from-a" lost
  const SiblingSet merged = SiblingSet::Merged(at_a, at_b);
  CHECK(Values(merged) == std::set<std::string>{"from-a", "from-b"});
}

TEST_CASE("sibling set: merge properties over random sets") {
  std::printf("sibling set merge properties: seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  int kept_concurrent = 0;
  for (int i = 0; i < 3000; ++i) {
    const SiblingSet a = RandomSet(rng);
    const SiblingSet b = RandomSet(rng);
    const SiblingSet c = RandomSet(rng);
    REQUIRE(WellFormed(a));
    const SiblingSet ab = SiblingSet::Merged(a, b);
    CHECK(WellFormed(ab));
    CHECK(ab == SiblingSet::Merged(b, a));
    CHECK(SiblingSet::Merged(ab, c) == SiblingSet::Merged(a, SiblingSet::Merged(b, c)));
    CHECK(SiblingSet::Merged(a, a) == a);
    CHECK(SiblingSet::Merged(ab, a) == ab);
    // Nothing is dropped unless another version supersedes it or has its very history, and
    // nothing comes from nowhere.
    for (const SiblingSet* in : {&a, &b}) {
      for (const Version& v : in->versions()) {
        const bool present =
            std::find(ab.versions().begin(), ab.versions().end(), v) != ab.versions().end();
        bool covered = false;
        for (const Version& w : ab.versions()) {
          const ClockOrder o = CompareVersions(v, w);
          covered |= o == ClockOrder::kBefore || o == ClockOrder::kEqual;
        }
        CHECK((present || covered));
        if (present && a.size() + b.size() > 1) ++kept_concurrent;
      }
    }
    for (const Version& v : ab.versions()) {
      const bool from_input =
          std::find(a.versions().begin(), a.versions().end(), v) != a.versions().end() ||
          std::find(b.versions().begin(), b.versions().end(), v) != b.versions().end();
      CHECK(from_input);
    }
  }
  CHECK(kept_concurrent > 1000);
}

// Replicas as the node will run them: a write is coordinated by a replica on its local set and
// its whole set is then sent to a random subset of the others (messages get lost); reads come
// from any one replica, however stale; anti-entropy merges pairs now and then. At the end every
// acknowledged write must be present or superseded by a write whose read (transitively) saw it.
enum class ModelRule {
  kSiblings,            // the protocol of sibling_set.h
  kSendOnlyNewVersion,  // the coordinator replicates its new version, not its whole set
  kLastWriteWins,       // replicas merge by timestamp
};

// Returns how many acknowledged writes were lost.
int RunReplicaModel(const ClockPruneOptions& prune, bool expect_no_resurrection, uint64_t seed,
                    ModelRule rule = ModelRule::kSiblings) {
  std::printf("sibling set replica model: seed %llu, prune past %zu entries\n",
              static_cast<unsigned long long>(seed), prune.max_entries);
  std::mt19937_64 rng(seed);
  constexpr int kReplicas = 3;
  std::vector<SiblingSet> replica(kReplicas);
  auto merge = [&](SiblingSet& into, const SiblingSet& from) {
    into = rule == ModelRule::kLastWriteWins ? LastWriteWinsMerge(into, from)
                                             : SiblingSet::Merged(into, from);
  };
  std::map<std::string, std::set<std::string>> knows;  // write -> writes it superseded knowingly
  uint64_t now = 0;
  int next = 0;
  for (int step = 0; step < 400; ++step) {
    now += 1000;
    if (rng() % 4 == 0) {  // anti-entropy between two replicas
      const int x = static_cast<int>(rng() % kReplicas);
      const int y = static_cast<int>(rng() % kReplicas);
      merge(replica[x], replica[y]);
      continue;
    }
    // A client reads one replica (or writes blind), then writes through a coordinator.
    const int read_from = static_cast<int>(rng() % kReplicas);
    const bool blind = rng() % 4 == 0;
    const SiblingSet read = blind ? SiblingSet() : replica[read_from];
    std::string id = "w";
    id += std::to_string(next++);
    for (const Version& v : read.versions()) {
      knows[id].insert(v.value);
      knows[id].insert(knows[v.value].begin(), knows[v.value].end());
    }
    const int coord = static_cast<int>(rng() % kReplicas);
    SiblingWrite w = W(read.Context(), 100 + coord, id, now);
    SiblingSet sent;
    sent.Add(MustPut(replica[coord], w, prune));
    if (rule == ModelRule::kLastWriteWins) replica[coord] = sent;
    if (rule != ModelRule::kSendOnlyNewVersion) sent = replica[coord];
    for (int r = 0; r < kReplicas; ++r) {
      if (r != coord && rng() % 2 == 0) merge(replica[r], sent);
    }
  }
  SiblingSet final_set;
  for (const SiblingSet& r : replica) merge(final_set, r);
  std::set<std::string> final_values = Values(final_set);
  int lost = 0;
  for (int i = 0; i < next; ++i) {
    std::string id = "w";
    id += std::to_string(i);
    bool ok = final_values.count(id) > 0;
    for (const std::string& f : final_values) ok |= knows[f].count(id) > 0;
    if (!ok) ++lost;
  }
  if (rule != ModelRule::kSiblings) return lost;
  CHECK(lost == 0);
  int resurrected = 0;  // a superseded write back as a sibling: allowed only with pruning
  for (const std::string& f : final_values) {
    for (const std::string& g : final_values) resurrected += knows[g].count(f) > 0;
  }
  std::printf("  %d writes, %zu siblings at the end, %d lost, %d superseded but back\n", next,
              final_values.size(), lost, resurrected);
  if (expect_no_resurrection) CHECK(resurrected == 0);
  CHECK(final_values.size() < 40);  // the model does resolve siblings: the test has teeth
  return lost;
}

TEST_CASE("sibling set: replicas that lose messages lose no acknowledged write") {
  RunReplicaModel(kNoPrune, /*expect_no_resurrection=*/true, kSeed);
  RunReplicaModel(kNoPrune, true, kSeed + 1);
  // Pruning every entry at once: false siblings may appear, lost writes may not.
  RunReplicaModel(ClockPruneOptions{.max_entries = 1, .min_age_micros = 0}, false, kSeed + 2);
}

TEST_CASE("sibling set: positive controls, the replica model catches lost writes") {
  // Last-write-wins loses acknowledged concurrent writes.
  CHECK(RunReplicaModel(kNoPrune, false, kSeed, ModelRule::kLastWriteWins) > 0);
  // A coordinator that sends only its new version breaks what a context's gap coverage relies on.
  int lost = 0;
  for (uint64_t s = 0; s < 5; ++s) {
    lost += RunReplicaModel(kNoPrune, false, kSeed + s, ModelRule::kSendOnlyNewVersion);
  }
  std::printf("  sending only the new version lost %d writes over 5 runs\n", lost);
  CHECK(lost > 0);
}

TEST_CASE("sibling set: pruning creates false siblings, never a lost update") {
  ClockPruneOptions tight{.max_entries = 1, .min_age_micros = 0};
  SiblingSet s;
  MustPut(s, W({}, kA, "a1", 1), kNoPrune);
  MustPut(s, W(s.Context(), kB, "b1", 2), kNoPrune);  // history {a:1, b:1}
  SiblingSet replica = s;                             // a replica holding "b1"
  // A client reads b1 and writes through c; the context {a:1, b:1} is pruned to one entry.
  const ClockId kC = 0xc;
  const Version nv = MustPut(s, W(s.Context(), kC, "c1", 100), tight);  // drops a:1, the oldest
  CHECK(nv.clock.size() == 1);
  CHECK(Values(s) == std::set<std::string>{"c1"});  // locally the context decided
  // Elsewhere the pruned clock no longer shows that c1 saw b1: both stay, as siblings.
  const SiblingSet merged = SiblingSet::Merged(replica, s);
  CHECK(Values(merged) == std::set<std::string>{"b1", "c1"});
  // Without pruning, c1 would have superseded b1 everywhere.
  SiblingSet unpruned = replica;
  MustPut(unpruned, W(replica.Context(), kC, "c1", 100), kNoPrune);
  CHECK(Values(SiblingSet::Merged(replica, unpruned)) == std::set<std::string>{"c1"});
}

TEST_CASE("sibling set: encoding round-trips") {
  std::mt19937_64 rng(kSeed + 5);
  for (int i = 0; i < 500; ++i) {
    SiblingSet s = RandomSet(rng);
    auto got = SiblingSet::Decode(s.Encode());
    REQUIRE(got.ok());
    CHECK(*got == s);
  }
  SiblingSet big;
  MustPut(big, W({}, kA, std::string(100000, 'x'), 1), kNoPrune);
  MustPut(big, W({}, ~0ull, std::string("\0\xff", 2), ~0ull), kNoPrune);
  auto got = SiblingSet::Decode(big.Encode());
  REQUIRE(got.ok());
  CHECK(*got == big);
  auto empty = SiblingSet::Decode(SiblingSet().Encode());
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("sibling set: the decoder rejects malformed bytes and never crashes") {
  std::printf("sibling set decoder fuzz: seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  CHECK(SiblingSet::Decode("").status().Is(ErrorCode::kCorruption));
  CHECK(SiblingSet::Decode("\x02\x00").status().Is(ErrorCode::kCorruption));  // version 2
  CHECK(SiblingSet::Decode("\x01\xff\xff\xff\xff\x0f").status().Is(ErrorCode::kCorruption));
  std::string trailing = SiblingSet().Encode() + "x";
  CHECK(SiblingSet::Decode(trailing).status().Is(ErrorCode::kCorruption));

  int ok = 0;
  int rejected = 0;
  auto check = [&](const std::string& bytes) {
    auto got = SiblingSet::Decode(bytes);
    if (!got.ok()) {
      CHECK(got.status().Is(ErrorCode::kCorruption));
      ++rejected;
      return;
    }
    ++ok;
    // Whatever decodes is a valid set, and encodes back to a form that decodes the same.
    CHECK(WellFormed(*got));
    auto again = SiblingSet::Decode(got->Encode());
    REQUIRE(again.ok());
    CHECK(*again == *got);
  };
  for (int i = 0; i < 3000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& ch : bytes) ch = static_cast<char>(rng());
    if (!bytes.empty() && rng() % 2) bytes[0] = 1;  // get past the version byte
    check(bytes);
  }
  for (int i = 0; i < 5000; ++i) {
    SiblingSet s = RandomSet(rng);
    std::string bytes = s.Encode();
    switch (rng() % 4) {
      case 0:  // flip bits
        for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
          bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
        }
        break;
      case 1:  // truncate
        bytes.resize(rng() % bytes.size());
        break;
      case 2:  // insert a byte
        bytes.insert(bytes.begin() + static_cast<long>(rng() % (bytes.size() + 1)),
                     static_cast<char>(rng()));
        break;
      default:  // overwrite a byte
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    check(bytes);
  }
  std::printf("  %d decoded, %d rejected\n", ok, rejected);
  CHECK(ok > 100);
  CHECK(rejected > 1000);
}

TEST_CASE("context token: binary and text round-trip — bad tokens are refused") {
  SiblingSet s;
  MustPut(s, W({}, kA, "x", 1), kNoPrune);
  MustPut(s, W({}, kB, "y", 2), kNoPrune);
  const VectorClock ctx = s.Context();
  auto bin = DecodeContextToken(EncodeContextToken(ctx));
  REQUIRE(bin.ok());
  CHECK(*bin == ctx);
  const std::string text = ContextTokenToText(ctx);
  auto back = ContextTokenFromText(text);
  REQUIRE(back.ok());
  CHECK(*back == ctx);
  auto none = ContextTokenFromText(ContextTokenToText(VectorClock()));
  REQUIRE(none.ok());
  CHECK(none->empty());

  CHECK(ContextTokenFromText("not base64!").status().Is(ErrorCode::kInvalidArgument));
  CHECK(ContextTokenFromText("AAAA").status().Is(ErrorCode::kInvalidArgument));  // version 0
  CHECK(ContextTokenFromText(text.substr(0, text.size() - 4))
            .status()
            .Is(ErrorCode::kInvalidArgument));
  CHECK(DecodeContextToken(EncodeContextToken(ctx) + "x").status().Is(ErrorCode::kCorruption));
  CHECK(DecodeContextToken("").status().Is(ErrorCode::kCorruption));
  std::mt19937_64 rng(kSeed);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = EncodeContextToken(ctx);
    bytes[rng() % bytes.size()] = static_cast<char>(rng());
    bytes.resize(rng() % (bytes.size() + 1));
    auto got = DecodeContextToken(bytes);
    if (got.ok()) CHECK(DecodeContextToken(EncodeContextToken(*got)).ok());
  }
}

}  // namespace kv

namespace kv {

TEST_CASE("sibling set: the largest set the decoder takes decodes, one more is refused") {
  SiblingSet s;
  for (uint32_t i = 0; i < kMaxSiblings; ++i) {
    Version v;
    v.dot = Dot{1 + i, 1};  // all concurrent: the decoder's worst case
    v.value = "v";
    s.Add(std::move(v));
    if (i == 0) REQUIRE(s.size() == 1);
  }
  REQUIRE(s.size() == kMaxSiblings);
  const std::string bytes = s.Encode();
  auto got = SiblingSet::Decode(bytes);
  REQUIRE(got.ok());
  CHECK(got->size() == kMaxSiblings);
  Version extra;
  extra.dot = Dot{~0ull, 1};
  s.Add(extra);
  CHECK(SiblingSet::Decode(s.Encode()).status().Is(ErrorCode::kCorruption));
}

}  // namespace kv
