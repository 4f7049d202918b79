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
  // Copies beyond the nodes that hold tokens place alike, so the targets for 0 .. that many
  // cover every n. One zone walks plain ring order and needs none.
  // A zone of nodes without tokens is never met, and gets no copies.
  if (zones_.size() > 1) {
    std::vector<bool> has_tokens(nodes_.size(), false);
    for (const Point& p : points_) has_tokens[p.node] = true;
    std::vector<uint64_t> holders_in_zone(zones_.size(), 0);
    size_t holders = 0;
    for (uint32_t node = 0; node < nodes_.size(); ++node) {
      if (!has_tokens[node]) continue;
      ++holders_in_zone[zone_of_[node]];
      ++holders;
    }
    for (size_t n = 0; n <= holders; ++n)
      targets_by_copies_.push_back(ComputeTargets(n, holders_in_zone));
  }
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

namespace {

// A 64-bit mix (SplitMix64's finalizer): a range's token may be an allocated one, not a hash, and
// the draw of its zone counts must still look uniform.
uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

Ring::ZoneTargets Ring::ComputeTargets(size_t n, const std::vector<uint64_t>& nodes_in) {
  const size_t zones = nodes_in.size();
  uint64_t zones_met = 0, nodes_met = 0;
  for (uint64_t m : nodes_in) {
    zones_met += m > 0 ? 1 : 0;
    nodes_met += m;
  }
  const uint64_t copies = std::min<uint64_t>(n, nodes_met);
  // Bounds: one copy per zone at least while zones <= copies (the spread), at most one while
  // zones >= copies (as many distinct zones as there can be), and never more than its nodes.
  std::vector<uint64_t> lo(zones, 0), hi(zones, 0);
  for (size_t z = 0; z < zones; ++z) {
    if (nodes_in[z] == 0) continue;
    lo[z] = zones_met <= copies ? 1 : 0;
    hi[z] = zones_met >= copies ? 1 : nodes_in[z];
  }
  // Water-filling: the copies not fixed at a bound are shared among the free zones in proportion
  // to their nodes; a zone whose share falls outside its bounds is fixed at the bound, and the
  // rest shared again. Exact in integers: a free zone's share is budget * nodes / free_nodes, so
  // every target is a numerator over the one denominator free_nodes.
  std::vector<bool> fixed(zones, false);
  std::vector<uint64_t> fixed_at(zones, 0);
  for (size_t z = 0; z < zones; ++z) fixed[z] = nodes_in[z] == 0;
  for (;;) {
    uint64_t budget = copies, free_nodes = 0;
    for (size_t z = 0; z < zones; ++z) {
      if (fixed[z]) {
        budget -= fixed_at[z];
      } else {
        free_nodes += nodes_in[z];
      }
    }
    if (free_nodes == 0) break;
    // Fix every zone under its floor first; only when none is, those over their ceiling.
    bool changed = false;
    for (size_t z = 0; z < zones; ++z) {
      if (fixed[z] || budget * nodes_in[z] >= lo[z] * free_nodes) continue;
      fixed[z] = true;
      fixed_at[z] = lo[z];
      changed = true;
    }
    if (!changed) {
      for (size_t z = 0; z < zones; ++z) {
        if (fixed[z] || budget * nodes_in[z] <= hi[z] * free_nodes) continue;
        fixed[z] = true;
        fixed_at[z] = hi[z];
        changed = true;
      }
    }
    if (changed) continue;
    ZoneTargets out{std::vector<uint64_t>(zones, 0), free_nodes, copies};
    for (size_t z = 0; z < zones; ++z)
      out.numerators[z] = fixed[z] ? fixed_at[z] * free_nodes : budget * nodes_in[z];
    return out;
  }
  ZoneTargets out{std::vector<uint64_t>(zones, 0), 1, copies};
  for (size_t z = 0; z < zones; ++z) out.numerators[z] = fixed_at[z];
  return out;
}

const Ring::ZoneTargets& Ring::Targets(size_t n) const {
  return targets_by_copies_[std::min(n, targets_by_copies_.size() - 1)];
}

std::vector<uint64_t> Ring::ZoneCounts(const ZoneTargets& targets, Token range_token) {
  // Systematic sampling: the points u, u + d, u + 2d, ... over the zones' targets laid end to end
  // (d the denominator); a zone gets one copy per point in its stretch. So every zone gets its
  // target rounded down or up, the counts sum to the copies exactly, and over many ranges each
  // zone's mean is its target.
  const uint64_t d = targets.denominator;
  const uint64_t u = Mix64(range_token) % d;
  auto points_below = [&](uint64_t x) { return x > u ? (x - u + d - 1) / d : 0; };
  std::vector<uint64_t> counts(targets.numerators.size(), 0);
  uint64_t end = 0;
  for (size_t z = 0; z < counts.size(); ++z) {
    const uint64_t begin = end;
    end += targets.numerators[z];
    counts[z] = points_below(end) - points_below(begin);
  }
  return counts;
}

std::vector<uint32_t> Ring::WalkFrom(size_t start, size_t n, size_t total) const {
  std::vector<uint32_t> out;
  std::vector<bool> taken(nodes_.size(), false);
  // Appends, up to `limit` in all, the nodes not yet taken that `wanted` accepts, clockwise.
  auto walk = [&](size_t limit, auto&& wanted) {
    for (size_t step = 0; step < points_.size() && out.size() < limit; ++step) {
      const uint32_t node = points_[(start + step) % points_.size()].node;
      if (taken[node] || !wanted(node)) continue;
      taken[node] = true;
      out.push_back(node);
    }
  };
  auto any = [](uint32_t) { return true; };
  // One zone: plain ring order, the replicas and the fallbacks alike.
  if (zones_.size() == 1) {
    walk(total, any);
    return out;
  }
  std::vector<uint64_t> left = ZoneCounts(Targets(n), points_[start].token);
  walk(std::min(n, total), [&](uint32_t node) {
    if (left[zone_of_[node]] == 0) return false;
    --left[zone_of_[node]];
    return true;
  });
  walk(total, any);
  return out;
}

std::vector<std::string> Ring::PreferenceListForToken(Token token, size_t n) const {
  std::vector<std::string> out;
  if (points_.empty()) return out;
  for (uint32_t node : WalkFrom(FirstPointAtOrAfter(token), n, n)) out.push_back(nodes_[node]);
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
  const std::vector<uint32_t> order =
      WalkFrom(FirstPointAtOrAfter(KeyToken(key)), n, nodes_.size());
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
    const std::vector<uint32_t> replicas = WalkFrom(i, n, n);
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
    const std::vector<uint32_t> replicas = WalkFrom(i, n, n);
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
