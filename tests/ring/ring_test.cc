#include "libkv/ring/ring.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>

#include "libkv/base/hash.h"

namespace kv {
namespace {

constexpr uint64_t kSeed = 1729;

// Not "prefix" + std::to_string(n): g++ 12 warns falsely on that (-Wrestrict) at -O3.
std::string Numbered(std::string_view prefix, uint64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

std::vector<std::string> Names(int n, std::string_view prefix = "node") {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back(Numbered(prefix, i));
  return out;
}

// Three nodes at hand-picked tokens: a owns (300, 100], b (100, 200], c (200, 300].
Ring Abc() {
  return Ring({{"a", {100}}, {"b", {200}}, {"c", {300}}});
}

using List = std::vector<std::string>;

}  // namespace

TEST_CASE("ring: tokens are deterministic and use the ring's own hash seed") {
  CHECK(KeyToken("k") == KeyToken("k"));
  CHECK(KeyToken("k") == Hash64("k", kRingHashSeed));
  CHECK(KeyToken("k") != Hash64("k"));
  const auto t = VnodeTokens("node1", 64);
  CHECK(t.size() == 64);
  CHECK(t == VnodeTokens("node1", 64));
  CHECK(t.front() == Hash64("node1#0", kRingHashSeed));
  CHECK(t.back() == Hash64("node1#63", kRingHashSeed));
  CHECK(std::set<Token>(t.begin(), t.end()).size() == 64);
  CHECK(VnodeTokens("node2", 1).front() != t.front());
  CHECK(VnodeTokens("x", 0).empty());
}

TEST_CASE("ring: token ranges are half-open and wrap") {
  const TokenRange r{100, 200};
  CHECK_FALSE(r.Contains(100));
  CHECK(r.Contains(101));
  CHECK(r.Contains(200));
  CHECK_FALSE(r.Contains(201));
  const TokenRange wrap{~0ull - 10, 5};
  CHECK(wrap.Contains(~0ull));
  CHECK(wrap.Contains(0));
  CHECK(wrap.Contains(5));
  CHECK_FALSE(wrap.Contains(6));
  CHECK_FALSE(wrap.Contains(~0ull - 10));
  CHECK(TokenRange{7, 7}.Contains(12345));  // the whole ring
  CHECK(TokenRange{7, 7}.Fraction() == 1.0);
  CHECK(TokenRange{0, 1ull << 62}.Fraction() == 0.25);
  CHECK(TokenRange{~0ull - (1ull << 62) + 1, 0}.Fraction() == 0.25);
}

TEST_CASE("ring: preference lists walk clockwise from the key's token") {
  const Ring ring = Abc();
  CHECK(ring.PreferenceListForToken(150, 3) == List{"b", "c", "a"});
  CHECK(ring.PreferenceListForToken(200, 3) == List{"b", "c", "a"});  // a token owns its own
  CHECK(ring.PreferenceListForToken(201, 2) == List{"c", "a"});
  CHECK(ring.PreferenceListForToken(301, 3) == List{"a", "b", "c"});  // wraps
  CHECK(ring.PreferenceListForToken(0, 1) == List{"a"});
  CHECK(ring.PreferenceListForToken(~0ull, 1) == List{"a"});
  // Fewer nodes than N: every node.
  CHECK(ring.PreferenceListForToken(150, 5) == List{"b", "c", "a"});
  CHECK(Ring({}).PreferenceList("k", 3).empty());
  // Several tokens of one node count once.
  const Ring vn({{"a", {100, 150}}, {"b", {200}}, {"c", {300}}});
  CHECK(vn.PreferenceListForToken(120, 2) == List{"a", "b"});
}

TEST_CASE("ring: placement over random keys: N distinct nodes, deterministic, clockwise") {
  std::printf("ring placement: seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  const std::vector<std::string> names = Names(7);
  const Ring ring = Ring::WithVnodes(names, 32);
  std::vector<std::string> shuffled = names;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const Ring same = Ring::WithVnodes(shuffled, 32);
  // All tokens, for a brute-force walk.
  std::vector<std::pair<Token, std::string>> all;
  for (const auto& n : names) {
    for (Token t : VnodeTokens(n, 32)) all.emplace_back(t, n);
  }
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 2000; ++i) {
    const std::string key = Numbered("key", rng());
    const List list = ring.PreferenceList(key, 3);
    REQUIRE(list.size() == 3);
    CHECK(std::set<std::string>(list.begin(), list.end()).size() == 3);
    CHECK(same.PreferenceList(key, 3) == list);
    // Brute force: the distinct owners of the tokens at or after the key's, wrapping.
    const Token kt = KeyToken(key);
    auto it = std::lower_bound(all.begin(), all.end(), std::make_pair(kt, std::string()));
    List expect;
    for (size_t s = 0; s < all.size() && expect.size() < 3; ++s) {
      const auto& p = all[(static_cast<size_t>(it - all.begin()) + s) % all.size()];
      if (std::find(expect.begin(), expect.end(), p.second) == expect.end()) {
        expect.push_back(p.second);
      }
    }
    CHECK(list == expect);
    // A longer list extends a shorter one.
    const List five = ring.PreferenceList(key, 5);
    CHECK(List(five.begin(), five.begin() + 3) == list);
  }
}

TEST_CASE("ring: sloppy preference list stands healthy fallbacks in for down nodes") {
  auto up_except = [](std::set<std::string> down) {
    return [down](std::string_view n) { return down.count(std::string(n)) == 0; };
  };
  using T = ReplicaTarget;
  // Hashed keys rarely land in (100, 200]; use a ring whose tokens span the space.
  const Token q = 1ull << 62;
  const Ring big({{"a", {q}}, {"b", {2 * q}}, {"c", {3 * q}}, {"d", {~0ull}}, {"e", {q / 2}}});
  // Ring order: e (q/2), a (q), b (2q), c (3q), d (max).
  std::mt19937_64 rng(kSeed);
  std::string key_in_b;  // a key in (q, 2q]: list b, c, d, then e, a
  while (true) {
    key_in_b = Numbered("k", rng());
    if (KeyToken(key_in_b) > q && KeyToken(key_in_b) <= 2 * q) break;
  }
  CHECK(big.PreferenceList(key_in_b, 5) == List{"b", "c", "d", "e", "a"});
  CHECK(big.SloppyPreferenceList(key_in_b, 3, up_except({})) ==
        std::vector<T>{{"b", {}}, {"c", {}}, {"d", {}}});
  CHECK(big.SloppyPreferenceList(key_in_b, 3, up_except({"c"})) ==
        std::vector<T>{{"b", {}}, {"d", {}}, {"e", "c"}});
  CHECK(big.SloppyPreferenceList(key_in_b, 3, up_except({"b", "d"})) ==
        std::vector<T>{{"c", {}}, {"e", "b"}, {"a", "d"}});
  CHECK(big.SloppyPreferenceList(key_in_b, 3, up_except({"b", "e"})) ==
        std::vector<T>{{"c", {}}, {"d", {}}, {"a", "b"}});
  // Not enough healthy nodes: fewer targets, never a node twice.
  CHECK(big.SloppyPreferenceList(key_in_b, 3, up_except({"b", "c", "d", "e"})) ==
        std::vector<T>{{"a", "b"}});
  CHECK(big.SloppyPreferenceList(key_in_b, 3, up_except({"a", "b", "c", "d", "e"})).empty());
}

TEST_CASE("ring: sloppy lists over random failures are the first N healthy nodes") {
  std::mt19937_64 rng(kSeed + 1);
  const std::vector<std::string> names = Names(8);
  const Ring ring = Ring::WithVnodes(names, 16);
  for (int i = 0; i < 1000; ++i) {
    std::set<std::string> down;
    for (const auto& n : names) {
      if (rng() % 3 == 0) down.insert(n);
    }
    auto is_up = [&](std::string_view n) { return down.count(std::string(n)) == 0; };
    const std::string key = Numbered("key", rng());
    const auto targets = ring.SloppyPreferenceList(key, 3, is_up);
    const List walk = ring.PreferenceList(key, names.size());
    List healthy;
    for (const auto& n : walk) {
      if (is_up(n) && healthy.size() < 3) healthy.push_back(n);
    }
    List got;
    std::set<std::string> stood_in_for;
    for (const auto& t : targets) {
      got.push_back(t.node);
      CHECK(is_up(t.node));
      const bool primary = std::find(walk.begin(), walk.begin() + 3, t.node) != walk.begin() + 3;
      CHECK(t.hinted_for.has_value() == !primary);
      if (t.hinted_for) {
        CHECK(down.count(*t.hinted_for) == 1);
        CHECK(std::find(walk.begin(), walk.begin() + 3, *t.hinted_for) != walk.begin() + 3);
        CHECK(stood_in_for.insert(*t.hinted_for).second);
      }
    }
    std::sort(got.begin(), got.end());
    std::sort(healthy.begin(), healthy.end());
    CHECK(got == healthy);
  }
}

TEST_CASE("ring: ownership") {
  SUBCASE("hand-made shares") {
    const Token q = 1ull << 62;
    const Ring ring({{"a", {q}}, {"b", {2 * q}}, {"c", {0}}});
    // a owns (0, q], b (q, 2q], c (2q, 0]: a quarter, a quarter, a half.
    const auto own = ring.OwnershipShares(2);
    CHECK(own.at("a").primary == 0.25);
    CHECK(own.at("b").primary == 0.25);
    CHECK(own.at("c").primary == 0.5);
    // Second replicas: a's range goes to b, b's to c, c's to a.
    CHECK(own.at("a").replica == 0.75);
    CHECK(own.at("b").replica == 0.5);
    CHECK(own.at("c").replica == 0.75);
  }
  SUBCASE("one token or shared tokens") {
    const auto solo = Ring({{"a", {5}}}).OwnershipShares(3);
    CHECK(solo.at("a").primary == 1.0);
    CHECK(solo.at("a").replica == 1.0);
    const auto shared = Ring({{"b", {5}}, {"a", {5}}}).OwnershipShares(1);
    CHECK(shared.at("a").primary == 1.0);  // the smaller id goes first on a shared token
    CHECK(shared.at("b").primary == 0.0);
  }
  SUBCASE("shares sum to 1 and to min(N, nodes)") {
    for (int nodes : {1, 2, 3, 5, 10}) {
      const auto own = Ring::WithVnodes(Names(nodes), 64).OwnershipShares(3);
      double primary = 0;
      double replica = 0;
      for (const auto& [id, o] : own) {
        primary += o.primary;
        replica += o.replica;
      }
      CAPTURE(nodes);
      CHECK(primary == doctest::Approx(1.0).epsilon(1e-9));
      CHECK(replica == doctest::Approx(std::min(3, nodes)).epsilon(1e-9));
    }
  }
}

TEST_CASE("ring: the ranges a node replicates are exactly where it is in the list") {
  std::mt19937_64 rng(kSeed + 2);
  const Ring ring = Ring::WithVnodes(Names(5), 16);
  const auto own = ring.OwnershipShares(3);
  for (const std::string& node : ring.nodes()) {
    const auto ranges = ring.RangesReplicatedBy(node, 3);
    double total = 0;
    for (const auto& r : ranges) total += r.Fraction();
    CHECK(total == doctest::Approx(own.at(node).replica).epsilon(1e-9));
    for (size_t i = 1; i < ranges.size(); ++i) CHECK(ranges[i - 1].end != ranges[i].start);
    for (int i = 0; i < 500; ++i) {
      const std::string key = Numbered("key", rng());
      const List list = ring.PreferenceList(key, 3);
      const bool listed = std::find(list.begin(), list.end(), node) != list.end();
      const bool in_range = std::any_of(ranges.begin(), ranges.end(), [&](const TokenRange& r) {
        return r.Contains(KeyToken(key));
      });
      CHECK(listed == in_range);
    }
  }
  // A ring no larger than N: every node has the whole ring.
  const auto whole = Ring::WithVnodes(Names(3), 8).RangesReplicatedBy("node2", 3);
  REQUIRE(whole.size() == 1);
  CHECK(whole[0].start == whole[0].end);
  CHECK(ring.RangesReplicatedBy("nobody", 3).empty());
}

TEST_CASE("ring: ownership balance by virtual nodes") {
  std::printf("ring balance: primary ownership, largest and smallest share over the fair share\n");
  std::printf("  %5s %6s %8s %8s %10s %10s\n", "nodes", "vnodes", "max/fair", "min/fair", "N=3 max",
              "N=3 min");
  for (int nodes : {3, 5, 10}) {
    for (int vnodes : {16, 64, 128, 256}) {
      const auto own = Ring::WithVnodes(Names(nodes), vnodes).OwnershipShares(3);
      double max_p = 0, min_p = 1, max_r = 0, min_r = 1;
      for (const auto& [id, o] : own) {
        max_p = std::max(max_p, o.primary);
        min_p = std::min(min_p, o.primary);
        max_r = std::max(max_r, o.replica);
        min_r = std::min(min_r, o.replica);
      }
      const double fair = 1.0 / nodes;
      const double fair_r = std::min(3.0, static_cast<double>(nodes)) / nodes;
      std::printf("  %5d %6d %8.3f %8.3f %10.3f %10.3f\n", nodes, vnodes, max_p / fair,
                  min_p / fair, max_r / fair_r, min_r / fair_r);
      // Loose: with 64 or more vnodes no node holds twice, or under half, its fair share.
      if (vnodes >= 64) {
        CHECK(max_p / fair < 2.0);
        CHECK(min_p / fair > 0.5);
      }
    }
  }
}

TEST_CASE("ring: balance averaged over clusters of different node names") {
  // One ring is one draw; the mean over 20 name sets says what a user can expect.
  std::printf("ring balance, mean over 20 clusters: largest share / fair (primary, N=3 replica)\n");
  std::printf("  %5s %6s %8s %8s\n", "nodes", "vnodes", "primary", "replica");
  for (int nodes : {3, 5, 10}) {
    for (int vnodes : {16, 64, 128, 256}) {
      double sum_p = 0, sum_r = 0;
      for (int c = 0; c < 20; ++c) {
        const auto own =
            Ring::WithVnodes(Names(nodes, Numbered("c", c) + "-node"), vnodes).OwnershipShares(3);
        double max_p = 0, max_r = 0;
        for (const auto& [id, o] : own) {
          max_p = std::max(max_p, o.primary);
          max_r = std::max(max_r, o.replica);
        }
        sum_p += max_p * nodes;
        sum_r += max_r * nodes / std::min(3, nodes);
      }
      std::printf("  %5d %6d %8.3f %8.3f\n", nodes, vnodes, sum_p / 20, sum_r / 20);
      if (vnodes >= 128) CHECK(sum_r / 20 < 1.3);
    }
  }
}

}  // namespace kv
