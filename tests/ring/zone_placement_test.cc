// Zone-aware placement (libkv/ring/ring.h): a key's replicas span as many zones as there are, a
// ring without zones places keys exactly as plain ring order, and sloppy-quorum stand-ins stay in
// the zone of the node they stand in for.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "libkv/ring/ring.h"

namespace kv {
namespace {

constexpr uint64_t kSeed = 4242;
using List = std::vector<std::string>;

std::string Numbered(std::string_view prefix, uint64_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

List Names(size_t n, std::string_view prefix = "node") {
  List out;
  for (size_t i = 1; i <= n; ++i) out.push_back(Numbered(prefix, i));
  return out;
}

// Node i in zone i % zones ("z0", "z1", ...).
List RoundRobinZones(size_t nodes, size_t zones) {
  List out;
  for (size_t i = 0; i < nodes; ++i) out.push_back(Numbered("z", i % zones));
  return out;
}

// The distinct owners of the tokens at or after `token`, wrapping: plain ring order, by brute
// force over every node's tokens.
List PlainWalk(const List& names, int vnodes, Token token, size_t n) {
  std::vector<std::pair<Token, std::string>> all;
  for (const auto& id : names)
    for (Token t : VnodeTokens(id, vnodes)) all.emplace_back(t, id);
  std::sort(all.begin(), all.end());
  auto it = std::lower_bound(all.begin(), all.end(), std::make_pair(token, std::string()));
  List out;
  for (size_t s = 0; s < all.size() && out.size() < n; ++s) {
    const auto& p = all[(static_cast<size_t>(it - all.begin()) + s) % all.size()];
    if (std::find(out.begin(), out.end(), p.second) == out.end()) out.push_back(p.second);
  }
  return out;
}

}  // namespace

TEST_CASE("zones: a ring with no zones, or one, places every key exactly as plain ring order") {
  std::mt19937_64 rng(kSeed);
  const List names = Names(9);
  const Ring none = Ring::WithVnodes(names, 32);
  const Ring one = Ring::WithVnodes(names, 32, List(names.size(), "dc1"));
  CHECK(none.zones() == List{""});
  CHECK(one.zones() == List{"dc1"});
  CHECK_FALSE(none.PlacesLike(one));
  for (int i = 0; i < 20000; ++i) {
    const std::string key = Numbered("key", rng());
    const List list = none.PreferenceList(key, 3);
    CHECK(one.PreferenceList(key, 3) == list);
    if (i % 20 == 0) CHECK(list == PlainWalk(names, 32, KeyToken(key), 3));
  }
  for (size_t n : {1, 3, 5}) {
    CHECK(none.OwnershipShares(n) == one.OwnershipShares(n));
    for (const auto& id : names)
      CHECK(none.RangesReplicatedBy(id, n) == one.RangesReplicatedBy(id, n));
  }
}

TEST_CASE("zones: over a large key sample, replicas span min(N, zones) distinct zones") {
  std::printf("zone placement: seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed + 1);
  for (size_t zones = 1; zones <= 5; ++zones) {
    for (size_t nodes = std::max<size_t>(3, zones); nodes <= 12; ++nodes) {
      const List names = Names(nodes, Numbered("c", nodes) + "-n");
      const List zone_of = RoundRobinZones(nodes, zones);
      const Ring ring = Ring::WithVnodes(names, 16, zone_of);
      REQUIRE(ring.zones().size() == zones);
      std::map<std::string, std::string> zone_by_node;
      for (size_t i = 0; i < nodes; ++i) zone_by_node[names[i]] = zone_of[i];
      for (int k = 0; k < 2000; ++k) {
        const std::string key = Numbered("key", rng());
        // Every node: plain ring order.
        const List all = ring.PreferenceList(key, nodes);
        CHECK(all == PlainWalk(names, 16, KeyToken(key), nodes));
        for (size_t n = 1; n <= 5; ++n) {
          const List list = ring.PreferenceList(key, n);
          REQUIRE(list.size() == std::min(n, nodes));
          std::set<std::string> used;
          for (const auto& id : list) used.insert(zone_by_node[id]);
          CHECK(used.size() == std::min(n, zones));
          // In walk order, and in each zone its first nodes met: nothing of a zone skipped for a
          // later node of the same zone.
          size_t at = 0;
          for (const auto& id : all) {
            const bool in_list = at < list.size() && list[at] == id;
            if (in_list) {
              ++at;
            } else {
              CHECK(std::count_if(list.begin() + static_cast<long>(at), list.end(),
                                  [&](const std::string& later) {
                                    return zone_by_node[later] == zone_by_node[id];
                                  }) == 0);
            }
          }
          CHECK(at == list.size());
        }
      }
      // Ownership and ranges follow the same walk: N replicas of every range.
      double replicas = 0;
      for (const auto& [id, o] : ring.OwnershipShares(3)) replicas += o.replica;
      CHECK(replicas == doctest::Approx(static_cast<double>(std::min<size_t>(3, nodes))));
      const Token probe = KeyToken("probe");
      for (const auto& id : ring.PreferenceListForToken(probe, 3)) {
        const auto ranges = ring.RangesReplicatedBy(id, 3);
        CHECK(std::any_of(ranges.begin(), ranges.end(),
                          [&](const TokenRange& r) { return r.Contains(probe); }));
      }
    }
  }
}

TEST_CASE("zones: the walk, by hand") {
  // Ring order a(1) b(1) c(2) d(1) e(3): zones in brackets; zone 1 has three nodes, 2 and 3 one.
  const Ring ring({{"a", {100}, "1"},
                   {"b", {200}, "1"},
                   {"c", {300}, "2"},
                   {"d", {400}, "1"},
                   {"e", {500}, "3"}});
  CHECK(ring.ZoneOf("c") == "2");
  CHECK(ring.ZoneOf("nobody").empty());
  // N=3 over 3 zones: one copy each, the first node of each zone met (NetworkTopologyStrategy):
  // from a, b is passed over (zone 1 has its copy), then c, d passed over, e.
  CHECK(ring.PreferenceListForToken(50, 3) == List{"a", "c", "e"});
  CHECK(ring.PreferenceListForToken(350, 3) == List{"d", "e", "c"});
  // Every node: walk order.
  CHECK(ring.PreferenceListForToken(50, 5) == List{"a", "b", "c", "d", "e"});
  // N=4: zone 1's share of 4 is 2.4, zones 2 and 3 must have one each, so zone 1 holds 2: from
  // d, then e, a; b is passed over (zone 1 has its two), then c.
  CHECK(ring.PreferenceListForToken(350, 4) == List{"d", "e", "a", "c"});
  // N=2 over 3 zones: two distinct zones. Zone 1's share (1.2) is capped at one copy; zones 2
  // and 3 share the other, a range at a time.
  for (Token t : {50, 150, 250, 350, 450}) {
    const List two = ring.PreferenceListForToken(static_cast<Token>(t), 2);
    REQUIRE(two.size() == 2);
    CHECK(ring.ZoneOf(two[0]) != ring.ZoneOf(two[1]));
    CHECK(std::count_if(two.begin(), two.end(),
                        [&](const std::string& id) { return ring.ZoneOf(id) == "1"; }) == 1);
  }
  // A zone with no token on the ring is never met, and gets no copy; the list still fills.
  const Ring empty_zone({{"a", {100}, "1"}, {"b", {200}, "1"}, {"x", {}, "2"}});
  CHECK(empty_zone.PreferenceListForToken(50, 2) == List{"a", "b"});
}

TEST_CASE("zones: stand-ins prefer a healthy node in the zone of the node they stand in for") {
  using T = ReplicaTarget;
  const Ring ring({{"a", {100}, "1"},
                   {"b", {200}, "2"},
                   {"c", {300}, "3"},
                   {"d", {400}, "1"},
                   {"e", {500}, "2"},
                   {"f", {600}, "3"}});
  auto up_except = [](std::set<std::string> down) {
    return [down](std::string_view n) { return down.count(std::string(n)) == 0; };
  };
  // Key at 50: list a, b, c. b down: e (zone 2) stands in, not d, the next in ring order.
  CHECK(ring.PreferenceListForToken(50, 3) == List{"a", "b", "c"});
  Token q = 0;
  std::string key;
  for (uint64_t i = 0;; ++i) {  // a key in (600, 100]: list a, b, c
    key = Numbered("k", i);
    q = KeyToken(key);
    if (q > 600 || q <= 100) break;
  }
  CHECK(ring.SloppyPreferenceList(key, 3, up_except({"b"})) ==
        std::vector<T>{{"a", {}}, {"c", {}}, {"e", "b"}});
  // A whole zone down: no stand-in there, so the first healthy nodes left, in walk order.
  CHECK(ring.SloppyPreferenceList(key, 3, up_except({"b", "e"})) ==
        std::vector<T>{{"a", {}}, {"c", {}}, {"d", "b"}});
  CHECK(ring.SloppyPreferenceList(key, 3, up_except({"a", "b"})) ==
        std::vector<T>{{"c", {}}, {"d", "a"}, {"e", "b"}});
}

TEST_CASE("zones: sloppy lists over random failures keep stand-ins in their zone when they can") {
  std::mt19937_64 rng(kSeed + 2);
  const List names = Names(9);
  const List zone_of = RoundRobinZones(9, 3);
  std::map<std::string, std::string> zone_by_node;
  for (size_t i = 0; i < names.size(); ++i) zone_by_node[names[i]] = zone_of[i];
  const Ring ring = Ring::WithVnodes(names, 16, zone_of);
  for (int i = 0; i < 2000; ++i) {
    std::set<std::string> down;
    for (const auto& n : names)
      if (rng() % 3 == 0) down.insert(n);
    auto is_up = [&](std::string_view n) { return down.count(std::string(n)) == 0; };
    const std::string key = Numbered("key", rng());
    const List primaries = ring.PreferenceList(key, 3);
    const auto targets = ring.SloppyPreferenceList(key, 3, is_up);
    std::map<std::string, size_t> down_in, spare_in, kept_in;  // per zone
    size_t downs = 0, spares = 0;
    for (const auto& p : primaries)
      if (!is_up(p)) ++down_in[zone_by_node[p]], ++downs;
    for (const auto& n : names)
      if (is_up(n) && std::find(primaries.begin(), primaries.end(), n) == primaries.end())
        ++spare_in[zone_by_node[n]], ++spares;
    std::set<std::string> nodes;
    for (const auto& t : targets) {
      CHECK(is_up(t.node));
      CHECK(nodes.insert(t.node).second);
      const bool primary = std::find(primaries.begin(), primaries.end(), t.node) != primaries.end();
      CHECK(t.hinted_for.has_value() == !primary);
      if (t.hinted_for && zone_by_node[t.node] == zone_by_node[*t.hinted_for])
        ++kept_in[zone_by_node[t.node]];
    }
    CHECK(targets.size() == 3 - downs + std::min(downs, spares));
    for (const auto& [zone, count] : down_in)
      CHECK(kept_in[zone] == std::min(count, spare_in[zone]));
  }
}

TEST_CASE("zones: losing one whole zone of 3 leaves every key 2 of its 3 replicas") {
  // 3 zones of 2 nodes, N=3: each key has one replica per zone. The positive control: the same
  // nodes without zones (plain ring order) put some keys' 2 or 3 replicas in the lost pair.
  const List names = Names(6);
  const List zone_of = {"a", "a", "b", "b", "c", "c"};  // node1, node2 are zone a
  const Ring zoned = Ring::WithVnodes(names, 128, zone_of);
  const Ring plain = Ring::WithVnodes(names, 128);
  std::mt19937_64 rng(kSeed + 3);
  size_t plain_short = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string key = Numbered("key", rng());
    auto lost = [](const List& list) {
      return std::count_if(list.begin(), list.end(),
                           [](const std::string& n) { return n == "node1" || n == "node2"; });
    };
    CHECK(lost(zoned.PreferenceList(key, 3)) == 1);
    if (lost(plain.PreferenceList(key, 3)) >= 2) ++plain_short;
  }
  std::printf("zones: without zones %zu of 10000 keys lose 2 or 3 replicas with node1, node2\n",
              plain_short);
  CHECK(plain_short > 0);
}

TEST_CASE("zones: ownership balance, even and uneven zones") {
  // The busiest node's replica share (N=3) over its fair share N/nodes, mean and worst over 20
  // clusters of different names, 128 vnodes: docs/benchmarks.md, "Zones". Split in two:
  // - each zone's share over its fair share (N * its nodes / nodes), which placement decides:
  //   exact in expectation wherever the spread allows it;
  // - within its zone, over the zone's share split evenly among its nodes, which the nodes'
  //   tokens decide.
  std::printf("zone balance (N=3, 128 vnodes, 20 clusters): busiest node / fair share\n");
  std::printf("  %-10s %8s %8s %10s %10s %14s %14s\n", "zones", "mean", "worst", "zone mean",
              "zone worst", "in-zone mean", "in-zone worst");
  const std::vector<std::pair<std::string, List>> layouts = {
      {"none (6)", List(6, "")},
      {"2+2+2", {"a", "a", "b", "b", "c", "c"}},
      {"3+3+3", {"a", "a", "a", "b", "b", "b", "c", "c", "c"}},
      {"3+2", {"a", "a", "a", "b", "b"}},
      {"4+2", {"a", "a", "a", "a", "b", "b"}},
      {"3+3+2", {"a", "a", "a", "b", "b", "b", "c", "c"}},
      {"3+3+3+1", {"a", "a", "a", "b", "b", "b", "c", "c", "c", "d"}},
      {"2+2+1", {"a", "a", "b", "b", "c"}},
  };
  for (const auto& [label, zones] : layouts) {
    double sum = 0, worst = 0, zone_sum = 0, zone_worst = 0, in_zone_sum = 0, in_zone_worst = 0;
    for (int c = 0; c < 20; ++c) {
      const List names = Names(zones.size(), Numbered("c", c) + "-node");
      const auto own = Ring::WithVnodes(names, 128, zones).OwnershipShares(3);
      const double nodes = static_cast<double>(zones.size());
      std::map<std::string, double> zone_share;
      std::map<std::string, int> zone_nodes;
      for (size_t i = 0; i < names.size(); ++i) {
        zone_share[zones[i]] += own.at(names[i]).replica;
        ++zone_nodes[zones[i]];
      }
      double busiest_zone = 0;
      for (const auto& [zone, share] : zone_share)
        busiest_zone = std::max(busiest_zone, share / (3 * zone_nodes[zone] / nodes));
      zone_sum += busiest_zone;
      zone_worst = std::max(zone_worst, busiest_zone);
      double busiest = 0, busiest_in_zone = 0;
      for (size_t i = 0; i < names.size(); ++i) {
        const double share = own.at(names[i]).replica;
        busiest = std::max(busiest, share);
        busiest_in_zone =
            std::max(busiest_in_zone, share * zone_nodes[zones[i]] / zone_share[zones[i]]);
      }
      const double ratio = busiest * nodes / 3;
      sum += ratio;
      worst = std::max(worst, ratio);
      in_zone_sum += busiest_in_zone;
      in_zone_worst = std::max(in_zone_worst, busiest_in_zone);
    }
    std::printf("  %-10s %8.3f %8.3f %10.3f %10.3f %14.3f %14.3f\n", label.c_str(), sum / 20, worst,
                zone_sum / 20, zone_worst, in_zone_sum / 20, in_zone_worst);
    if (label == "2+2+1" || label == "3+3+2") {
      // As many zones as copies: the spread puts one copy of every key in each zone, and the
      // small zone's nodes hold 1 against a fair 3 * 1/5 (5/3) or 3 * 2/8 (4/3). No placement
      // that keeps the spread can do better.
      CHECK(zone_worst == doctest::Approx(label == "2+2+1" ? 5.0 / 3 : 4.0 / 3).epsilon(0.001));
    } else {
      // Every zone holds its fair share, even or uneven: exactly where the counts are whole, and
      // in expectation where ranges draw them, off by the draw's spread over ~128 ranges a node
      // (the old NetworkTopologyStrategy walk put 3+2's two-node zone 14% over, every time).
      CHECK(zone_sum / 20 < 1.04);
      CHECK(zone_worst < 1.15);
    }
    // Within a zone, nodes split its share as their hashed tokens allow.
    CHECK(in_zone_sum / 20 < 1.3);
  }
}

}  // namespace kv
