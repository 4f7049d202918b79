#include "tools/common/ring_format.h"

#include <fmt/format.h>

#include <algorithm>

#include "libkv/base/human_text.h"
#include "libkv/base/json.h"
#include "tools/common/sibling_format.h"

namespace kv {

namespace {

const RingNodeInfo* FindNode(const RingResponse& ring, std::string_view id) {
  for (const RingNodeInfo& n : ring.nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

std::string Load(const RingNodeInfo& n) {
  return n.load_stated ? FormatBinaryBytes(n.disk_bytes) : "?";
}

std::string Keys(const RingNodeInfo& n) {
  return n.load_stated ? FormatApproxCount(n.keys) : "?";
}

// A node's zone in the table: "-" for none stated.
std::string_view ZoneColumn(const std::string& zone) {
  return zone.empty() ? std::string_view("-") : std::string_view(zone);
}

std::string Heard(const RingNodeInfo& n, std::string_view self) {
  if (n.id == self || n.seconds_since_heard < 0) return "-";
  return fmt::format("{:.1f}s ago", n.seconds_since_heard);
}

}  // namespace

std::string FormatRingText(const RingResponse& ring, std::string_view asked) {
  // Nodes holding ranges: not those joining (yet) or left.
  const auto in_ring = static_cast<size_t>(std::count_if(
      ring.nodes.begin(), ring.nodes.end(),
      [](const RingNodeInfo& n) { return n.state == "normal" || n.state == "leaving"; }));
  std::string out =
      fmt::format("ring as seen by {} ({}): {} node{}, N={} R={} W={}\n", ring.self, asked, in_ring,
                  in_ring == 1 ? "" : "s", ring.replicas, ring.read_quorum, ring.write_quorum);
  size_t id_width = 2, address_width = 7, state_width = 5, zone_width = 4, load_width = 4,
         keys_width = 4;
  for (const RingNodeInfo& n : ring.nodes) {
    id_width = std::max(id_width, n.id.size());
    address_width = std::max(address_width, n.address.size());
    state_width = std::max(state_width, n.state.size());
    zone_width = std::max(zone_width, ZoneColumn(n.zone).size());
    load_width = std::max(load_width, Load(n).size());
    keys_width = std::max(keys_width, Keys(n).size());
  }
  out += fmt::format(
      "{:<{}}  {:<{}}  {:<6}  {:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>6}  {:>9}  {:>7}  {:>5}  {}\n",
      "ID", id_width, "ADDRESS", address_width, "STATUS", "STATE", state_width, "ZONE", zone_width,
      "LOAD", load_width, "KEYS", keys_width, "VNODES", "OWNERSHIP", "PRIMARY", "HINTS", "HEARD");
  for (const RingNodeInfo& n : ring.nodes) {
    out += fmt::format(
        "{:<{}}  {:<{}}  {:<6}  {:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>6}  {:>8.1f}%  {:>6.1f}%  {:>5} "
        " "
        "{}\n",
        n.id, id_width, n.address, address_width, n.up ? "up" : "down", n.state, state_width,
        ZoneColumn(n.zone), zone_width, Load(n), load_width, Keys(n), keys_width, n.vnodes,
        n.ownership * 100, n.primary_ownership * 100, n.hints_pending, Heard(n, ring.self));
  }
  if (in_ring > 0 && in_ring < ring.replicas) {
    out += fmt::format("fewer nodes than N={}: every key is stored on all {} of them\n",
                       ring.replicas, in_ring);
  }
  return out;
}

std::string FormatPreferenceListText(const RingResponse& ring) {
  std::string out = fmt::format("preference list of {} (N={}), as seen by {}:\n",
                                DisplayBytes(ring.key), ring.replicas, ring.self);
  // Each replica's zone only in a cluster that has zones: without them the list reads as before.
  const bool zoned = std::any_of(ring.nodes.begin(), ring.nodes.end(),
                                 [](const RingNodeInfo& n) { return !n.zone.empty(); });
  for (size_t i = 0; i < ring.preference_list.size(); ++i) {
    const std::string& id = ring.preference_list[i];
    const RingNodeInfo* n = FindNode(ring, id);
    out += fmt::format("{}. {}  {}", i + 1, id, n == nullptr ? "unknown" : n->up ? "up" : "down");
    if (zoned) out += fmt::format("  zone {}", n == nullptr ? "-" : ZoneColumn(n->zone));
    out += '\n';
  }
  return out;
}

std::string FormatPreferenceListJson(const RingResponse& ring) {
  boost::json::object out;
  json::PutBytes(out, "key", ring.key);
  boost::json::array replicas;
  boost::json::array zones;  // replica i's zone; null for none (or a node the asked one lacks)
  for (const std::string& id : ring.preference_list) {
    replicas.push_back(json::TextOr(id));
    const RingNodeInfo* n = FindNode(ring, id);
    zones.push_back(n == nullptr || n->zone.empty() ? boost::json::value(nullptr)
                                                    : json::TextOr(n->zone));
  }
  out["replicas"] = std::move(replicas);
  out["zones"] = std::move(zones);
  return json::Serialize(out) + "\n";
}

}  // namespace kv
