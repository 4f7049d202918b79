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
        const List all = ring.PreferenceList(key, nodes);
        REQUIRE(all.size() == nodes);
        CHECK(std::set<std::string>(all.begin(), all.end()).size() == nodes);
        // The first replica is the key's own node, as without zones.
        CHECK(all.front() == PlainWalk(names, 16, KeyToken(key), 1).front());
        for (size_t n = 1; n <= 5; ++n) {
          const List list = ring.PreferenceList(key, n);
          REQUIRE(list.size() == std::min(n, nodes));
          CHECK(List(all.begin(), all.begin() + static_cast<long>(list.size())) == list);
          std::set<std::string> used;
          for (const auto& id : list) used.insert(zone_by_node[id]);
          CHECK(used.size() == std::min(n, zones));
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

TEST_CASE("zones: NetworkTopologyStrategy's walk, by hand") {
  // Ring order a(1) b(1) c(2) d(1) e(3): zones in brackets.
  const Ring ring({{"a", {100}, "1"},
                   {"b", {200}, "1"},
                   {"c", {300}, "2"},
                   {"d", {400}, "1"},
                   {"e", {500}, "3"}});
  CHECK(ring.ZoneOf("c") == "2");
  CHECK(ring.ZoneOf("nobody").empty());
  // From a: a, then b is passed over (zone 1 used), c, d passed over, e; then b, d.
  CHECK(ring.PreferenceListForToken(50, 3) == List{"a", "c", "e"});
  CHECK(ring.PreferenceListForToken(50, 5) == List{"a", "c", "e", "b", "d"});
  // Two zones wanted: once they are used, the passed-over b comes next, before d.
  CHECK(ring.PreferenceListForToken(50, 2) == List{"a", "c"});
  CHECK(ring.PreferenceListForToken(350, 4) == List{"d", "e", "c", "a"});
  // A zone with no token on the ring is never met; the list still fills.
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
  // clusters of different names, 128 vnodes: docs/benchmarks.md, "Zones". And within its zone:
  // over the zone's share split evenly among its nodes (what a zone holds is set by placement;
  // how evenly its nodes split it, by their vnodes).
  std::printf("zone balance (N=3, 128 vnodes, 20 clusters): busiest node / fair share\n");
  std::printf("  %-14s %8s %8s %14s %14s\n", "zones", "mean", "worst", "in-zone mean",
              "in-zone worst");
  const std::vector<std::pair<std::string, List>> layouts = {
      {"none (6)", List(6, "")},
      {"2+2+2", {"a", "a", "b", "b", "c", "c"}},
      {"3+3+3", {"a", "a", "a", "b", "b", "b", "c", "c", "c"}},
      {"3+2", {"a", "a", "a", "b", "b"}},
      {"2+2+1", {"a", "a", "b", "b", "c"}},
      {"4+2", {"a", "a", "a", "a", "b", "b"}},
      {"3+3+2", {"a", "a", "a", "b", "b", "b", "c", "c"}},
  };
  for (const auto& [label, zones] : layouts) {
    double sum = 0, worst = 0, zone_sum = 0, zone_worst = 0;
    for (int c = 0; c < 20; ++c) {
      const List names = Names(zones.size(), Numbered("c", c) + "-node");
      const auto own = Ring::WithVnodes(names, 128, zones).OwnershipShares(3);
      std::map<std::string, double> zone_share;
      std::map<std::string, int> zone_nodes;
      for (size_t i = 0; i < names.size(); ++i) {
        zone_share[zones[i]] += own.at(names[i]).replica;
        ++zone_nodes[zones[i]];
      }
      double busiest = 0, busiest_in_zone = 0;
      for (size_t i = 0; i < names.size(); ++i) {
        const double share = own.at(names[i]).replica;
        busiest = std::max(busiest, share);
        busiest_in_zone =
            std::max(busiest_in_zone, share * zone_nodes[zones[i]] / zone_share[zones[i]]);
      }
      const double ratio = busiest * static_cast<double>(zones.size()) / 3;
      sum += ratio;
      worst = std::max(worst, ratio);
      zone_sum += busiest_in_zone;
      zone_worst = std::max(zone_worst, busiest_in_zone);
    }
    std::printf("  %-14s %8.3f %8.3f %14.3f %14.3f\n", label.c_str(), sum / 20, worst,
                zone_sum / 20, zone_worst);
    // Even zones balance as a ring without zones does (ring_test.cc's bound), and within every
    // zone, even or not, nodes split their zone's share as evenly.
    if (label == "2+2+2" || label == "3+3+3") CHECK(sum / 20 < 1.3);
    CHECK(zone_sum / 20 < 1.3);
  }
}

}  // namespace kv
