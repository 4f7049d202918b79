#include "libkv/ring/ring.h"

#include <algorithm>

namespace kv {

Ring::Ring(std::vector<RingMember> members) {
  std::map<std::string, std::vector<Token>> by_id;
  std::map<std::string, std::string> zone_by_id;  // a duplicate id keeps its first zone
  for (RingMember& m : members) {
    auto& tokens = by_id[m.id];
    tokens.insert(tokens.end(), m.tokens.begin(), m.tokens.end());
    zone_by_id.emplace(m.id, m.zone);
  }
  for (const auto& [id, zone] : zone_by_id) zones_.push_back(zone);
  std::sort(zones_.begin(), zones_.end());
  zones_.erase(std::unique(zones_.begin(), zones_.end()), zones_.end());
  for (auto& [id, tokens] : by_id) {
    const auto index = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(id);
    const std::string& zone = zone_by_id[id];
    zone_of_.push_back(static_cast<uint32_t>(std::lower_bound(zones_.begin(), zones_.end(), zone) -
                                             zones_.begin()));
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    for (Token t : tokens) points_.push_back(Point{t, index});
  }
  // nodes_ is sorted, so ordering by index orders a shared token by node id.
  std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    return a.token != b.token ? a.token < b.token : a.node < b.node;
  });
}

Ring Ring::WithVnodes(const std::vector<std::string>& node_ids, int vnodes,
                      const std::vector<std::string>& zones) {
  std::vector<RingMember> members;
  for (size_t i = 0; i < node_ids.size(); ++i)
    members.push_back(RingMember{node_ids[i], VnodeTokens(node_ids[i], vnodes),
                                 i < zones.size() ? zones[i] : std::string()});
  return Ring(std::move(members));
}

std::string_view Ring::ZoneOf(std::string_view node) const {
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), node);
  if (it == nodes_.end() || *it != node) return {};
  return zones_[zone_of_[static_cast<size_t>(it - nodes_.begin())]];
}

bool Ring::PlacesLike(const Ring& other) const {
  return nodes_ == other.nodes_ && points_ == other.points_ && zones_ == other.zones_ &&
         zone_of_ == other.zone_of_;
}

size_t Ring::FirstPointAtOrAfter(Token token) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), token,
                             [](const Point& p, Token t) { return p.token < t; });
  return it == points_.end() ? 0 : static_cast<size_t>(it - points_.begin());
}

std::vector<uint32_t> Ring::WalkFrom(size_t start, size_t n) const {
  std::vector<uint32_t> out;
  std::vector<bool> seen(nodes_.size(), false);
  // One zone: every node is in the zone the first one used, and the walk is plain ring order.
  const size_t zones_wanted = std::min(n, zones_.size());
  size_t zones_used = 0;
  std::vector<bool> zone_used(zones_.size(), false);
  std::vector<uint32_t> passed_over;  // nodes of a used zone, while unused zones remain wanted
  for (size_t step = 0; step < points_.size() && out.size() < n; ++step) {
    const uint32_t node = points_[(start + step) % points_.size()].node;
    if (seen[node]) continue;
    seen[node] = true;
    if (zones_used == zones_wanted) {
      out.push_back(node);
      continue;
    }
    const uint32_t zone = zone_of_[node];
    if (zone_used[zone]) {
      passed_over.push_back(node);
      continue;
    }
    zone_used[zone] = true;
    ++zones_used;
    out.push_back(node);
    if (zones_used == zones_wanted) {
      for (size_t i = 0; i < passed_over.size() && out.size() < n; ++i)
        out.push_back(passed_over[i]);
      passed_over.clear();
    }
  }
  // A zone whose nodes hold no token is never met: the passed-over nodes still fill the list.
  for (size_t i = 0; i < passed_over.size() && out.size() < n; ++i) out.push_back(passed_over[i]);
  return out;
}

std::vector<std::string> Ring::PreferenceListForToken(Token token, size_t n) const {
  std::vector<std::string> out;
  if (points_.empty()) return out;
  for (uint32_t node : WalkFrom(FirstPointAtOrAfter(token), n)) out.push_back(nodes_[node]);
  return out;
}

std::vector<Token> Ring::Tokens() const {
  std::vector<Token> tokens;
  tokens.reserve(points_.size());
  for (const Point& p : points_) tokens.push_back(p.token);
  return tokens;
}

std::vector<std::string> Ring::PreferenceList(std::string_view key, size_t n) const {
  return PreferenceListForToken(KeyToken(key), n);
}

std::vector<ReplicaTarget> Ring::SloppyPreferenceList(
    std::string_view key, size_t n, const std::function<bool(std::string_view)>& is_up) const {
  std::vector<ReplicaTarget> out;
  if (points_.empty()) return out;
  const std::vector<uint32_t> order = WalkFrom(FirstPointAtOrAfter(KeyToken(key)), nodes_.size());
  const size_t primaries = std::min(n, order.size());
  std::vector<uint32_t> down;
  for (size_t i = 0; i < primaries; ++i) {
    if (is_up(nodes_[order[i]])) {
      out.push_back(ReplicaTarget{nodes_[order[i]], std::nullopt});
    } else {
      down.push_back(order[i]);
    }
  }
  if (down.empty()) return out;
  std::vector<uint32_t> healthy;  // the fallbacks, in walk order
  for (size_t i = primaries; i < order.size(); ++i)
    if (is_up(nodes_[order[i]])) healthy.push_back(order[i]);
  // Each down node takes the first healthy node of its own zone; then those left without one
  // take the first healthy nodes left. Without zones the first pass pairs them in ring order.
  std::vector<std::optional<uint32_t>> stand_in(down.size());
  std::vector<bool> taken(healthy.size(), false);
  for (size_t d = 0; d < down.size(); ++d) {
    for (size_t h = 0; h < healthy.size(); ++h) {
      if (taken[h] || zone_of_[healthy[h]] != zone_of_[down[d]]) continue;
      taken[h] = true;
      stand_in[d] = healthy[h];
      break;
    }
  }
  size_t next = 0;
  for (size_t d = 0; d < down.size(); ++d) {
    while (!stand_in[d] && next < healthy.size()) {
      if (!taken[next]) {
        taken[next] = true;
        stand_in[d] = healthy[next];
      }
      ++next;
    }
  }
  for (size_t d = 0; d < down.size(); ++d)
    if (stand_in[d]) out.push_back(ReplicaTarget{nodes_[*stand_in[d]], nodes_[down[d]]});
  return out;
}

std::optional<TokenRange> Ring::RangeOfPoint(size_t i) const {
  const Token end = points_[i].token;
  const Token start = points_[(i + points_.size() - 1) % points_.size()].token;
  if (start != end) return TokenRange{start, end};
  // Equal tokens: the whole ring when every point shares this token and this is the first of
  // them, else an empty range behind an earlier point on the same token.
  const bool first_of_token = i == 0 || points_[i - 1].token != end;
  const bool single_token = points_.front().token == points_.back().token;
  if (single_token && first_of_token) return TokenRange{end, end};
  return std::nullopt;
}

std::map<std::string, Ownership> Ring::OwnershipShares(size_t n) const {
  std::map<std::string, Ownership> out;
  for (const std::string& id : nodes_) out[id] = Ownership{};
  for (size_t i = 0; i < points_.size(); ++i) {
    const auto range = RangeOfPoint(i);
    if (!range) continue;
    const double share = range->Fraction();
    const std::vector<uint32_t> replicas = WalkFrom(i, n);
    out[nodes_[replicas.front()]].primary += share;
    for (uint32_t node : replicas) out[nodes_[node]].replica += share;
  }
  return out;
}

std::vector<TokenRange> Ring::RangesReplicatedBy(std::string_view node, size_t n) const {
  std::vector<TokenRange> out;
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), node);
  if (it == nodes_.end() || *it != node) return out;
  const auto index = static_cast<uint32_t>(it - nodes_.begin());
  for (size_t i = 0; i < points_.size(); ++i) {
    const auto range = RangeOfPoint(i);
    if (!range) continue;
    const std::vector<uint32_t> replicas = WalkFrom(i, n);
    if (std::find(replicas.begin(), replicas.end(), index) == replicas.end()) continue;
    if (!out.empty() && out.back().end == range->start && out.back().start != out.back().end) {
      out.back().end = range->end;  // adjacent: extend
    } else {
      out.push_back(*range);
    }
  }
  // Join the last range to the first across the wrap. A chain that came all the way round ends
  // where it began: start == end, the whole ring.
  if (out.size() > 1 && out.back().end == out.front().start) {
    out.front().start = out.back().start;
    out.pop_back();
  }
  return out;
}

}  // namespace kv
