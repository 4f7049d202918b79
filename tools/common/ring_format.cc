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
  size_t id_width = 2, address_width = 7, state_width = 5, load_width = 4, keys_width = 4;
  for (const RingNodeInfo& n : ring.nodes) {
    id_width = std::max(id_width, n.id.size());
    address_width = std::max(address_width, n.address.size());
    state_width = std::max(state_width, n.state.size());
    load_width = std::max(load_width, Load(n).size());
    keys_width = std::max(keys_width, Keys(n).size());
  }
  out += fmt::format(
      "{:<{}}  {:<{}}  {:<6}  {:<{}}  {:>{}}  {:>{}}  {:>6}  {:>9}  {:>7}  {:>5}  {}\n", "ID",
      id_width, "ADDRESS", address_width, "STATUS", "STATE", state_width, "LOAD", load_width,
      "KEYS", keys_width, "VNODES", "OWNERSHIP", "PRIMARY", "HINTS", "HEARD");
  for (const RingNodeInfo& n : ring.nodes) {
    out += fmt::format(
        "{:<{}}  {:<{}}  {:<6}  {:<{}}  {:>{}}  {:>{}}  {:>6}  {:>8.1f}%  {:>6.1f}%  {:>5}  {}\n",
        n.id, id_width, n.address, address_width, n.up ? "up" : "down", n.state, state_width,
        Load(n), load_width, Keys(n), keys_width, n.vnodes, n.ownership * 100,
        n.primary_ownership * 100, n.hints_pending, Heard(n, ring.self));
  }
  if (in_ring > 0 && in_ring < ring.replicas) {
    out += fmt::format("fewer nodes than N={}: every key is stored on all {} of them\n",
                       ring.replicas, in_ring);
  }
  return out;
}

// Node ids and addresses come from the node's flags: UTF-8 in practice, but the output must stay
// valid JSON whatever the peer sent (json::TextOr).
std::string FormatRingJson(const RingResponse& ring) {
  boost::json::object out;
  out["self"] = json::TextOr(ring.self);
  out["replicas"] = ring.replicas;
  out["read_quorum"] = ring.read_quorum;
  out["write_quorum"] = ring.write_quorum;
  boost::json::array nodes;
  for (const RingNodeInfo& n : ring.nodes) {
    boost::json::object node;
    node["id"] = json::TextOr(n.id);
    node["address"] = json::TextOr(n.address);
    node["status"] = n.up ? "up" : "down";
    node["state"] = json::TextOr(n.state);
    node["vnodes"] = n.vnodes;
    node["ownership"] = json::Round(n.ownership, 6);
    node["primary_ownership"] = json::Round(n.primary_ownership, 6);
    if (n.seconds_since_heard < 0) {
      node["seconds_since_heard"] = nullptr;
    } else {
      node["seconds_since_heard"] = json::Round(n.seconds_since_heard, 3);
    }
    if (n.load_stated) {
      node["load"] = {{"disk_bytes", n.disk_bytes}, {"keys", n.keys}};
    } else {
      node["load"] = nullptr;
    }
    node["hints_pending"] = n.hints_pending;
    node["generation"] = n.generation;
    node["clock_id"] = json::TextOr(n.clock_id);
    nodes.push_back(std::move(node));
  }
  out["nodes"] = std::move(nodes);
  return json::Serialize(out) + "\n";
}

std::string FormatPreferenceListText(const RingResponse& ring) {
  std::string out = fmt::format("preference list of {} (N={}), as seen by {}:\n",
                                DisplayBytes(ring.key), ring.replicas, ring.self);
  for (size_t i = 0; i < ring.preference_list.size(); ++i) {
    const std::string& id = ring.preference_list[i];
    const RingNodeInfo* n = FindNode(ring, id);
    out += fmt::format("{}. {}  {}\n", i + 1, id, n == nullptr ? "unknown" : n->up ? "up" : "down");
  }
  return out;
}

std::string FormatPreferenceListJson(const RingResponse& ring) {
  boost::json::object out;
  json::PutBytes(out, "key", ring.key);
  boost::json::array replicas;
  for (const std::string& id : ring.preference_list) replicas.push_back(json::TextOr(id));
  out["replicas"] = std::move(replicas);
  return json::Serialize(out) + "\n";
}

}  // namespace kv
