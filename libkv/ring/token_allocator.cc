#include "libkv/ring/token_allocator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <queue>

namespace kv {

std::vector<double> ZoneCopies(size_t replicas, const std::vector<size_t>& nodes_in_zone) {
  const Ring::ZoneTargets targets = Ring::ComputeTargets(
      replicas, std::vector<uint64_t>(nodes_in_zone.begin(), nodes_in_zone.end()));
  std::vector<double> out;
  for (uint64_t numerator : targets.numerators)
    out.push_back(static_cast<double>(numerator) / static_cast<double>(targets.denominator));
  return out;
}

namespace {

// The ranges' share of the ring, as a fraction of the 2^64 tokens.
double Fraction(Token from, Token to) {
  return from == to ? 1.0 : std::ldexp(static_cast<double>(to - from), -64);
}

// A ring of one balancing group (the whole ring, or one zone's nodes) as a circular list, so
// that tokens can be inserted while ownership is tracked incrementally. Copy k of a range (k = 0
// its first replica) counts weights[k] of the range towards its node's replica ownership: 1 for
// the first floor(copies), the fraction for the next, so that a fractional copy count is its mean.
class BalancedRing {
 public:
  // `copies`: the mean copies of a key in this group, at most its nodes (the newcomer's
  // included when one is to be allocated).
  BalancedRing(const std::vector<RingMember>& members, double copies) {
    for (const RingMember& m : members) {
      const auto node = static_cast<uint32_t>(primary_.size());
      primary_.push_back(0);
      replica_.push_back(0);
      for (Token t : m.tokens) points_.push_back(Point{t, node, 0, 0});
    }
    std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
      return a.token != b.token ? a.token < b.token : a.node < b.node;
    });
    const auto count = static_cast<uint32_t>(points_.size());
    for (uint32_t i = 0; i < count; ++i) {
      points_[i].prev = (i + count - 1) % count;
      points_[i].next = (i + 1) % count;
    }
    for (double left = copies; left > 1e-9; left -= 1) weights_.push_back(std::min(1.0, left));
    for (uint32_t e = 0; e < count; ++e) {
      const double size = RangeSize(e);
      Walk(e, std::nullopt, &walk_);
      primary_[walk_[0]] += size;
      for (size_t k = 0; k < walk_.size(); ++k) replica_[walk_[k]] += weights_[k] * size;
    }
  }

  size_t node_count() const { return primary_.size(); }
  double primary(uint32_t node) const { return primary_[node]; }
  double replica(uint32_t node) const { return replica_[node]; }

  // Chooses `vnodes` tokens for a new node (index node_count()): lazy greedy, each token where it
  // lowers the spread most. Improvements mostly shrink as the newcomer gains (its share nears its
  // target, those it takes from near theirs), so a candidate whose re-evaluated improvement is
  // within kSlack of the best stale one left is taken; stricter costs many re-evaluations for
  // no measurable balance. Each token aims at the newcomer's remaining share over its remaining
  // tokens, so that the last tokens neither overshoot nor starve.
  std::vector<Token> Allocate(int vnodes) {
    newcomer_ = static_cast<uint32_t>(primary_.size());
    primary_.push_back(0);
    replica_.push_back(0);
    const double nodes = static_cast<double>(primary_.size());
    double copies = 0;
    for (double w : weights_) copies += w;
    target_primary_ = 1.0 / nodes;
    target_replica_ = copies / nodes;
    target_token_ = target_primary_ / vnodes;
    token_weight_ = 1 / (target_token_ * target_token_ * vnodes);

    std::priority_queue<Candidate> queue;
    for (uint32_t e = 0; e < points_.size(); ++e) Push(&queue, e);
    std::vector<Token> out;
    while (static_cast<int>(out.size()) < vnodes && !queue.empty()) {
      target_token_ = std::max(target_primary_ - primary_[newcomer_], 0.0) /
                      static_cast<double>(vnodes - static_cast<int>(out.size()));
      Candidate c = queue.top();
      queue.pop();
      if (Start(c.end) != c.start) continue;  // split since
      const Split split = BestSplit(c.end);
      if (!queue.empty() && split.improvement < queue.top().improvement -
                                                    kSlack * std::abs(queue.top().improvement)) {
        queue.push(Candidate{split.improvement, c.end, c.start});
        continue;
      }
      const uint32_t added = Insert(c.end, split.token);
      out.push_back(points_[added].token);
      Push(&queue, added);
      Push(&queue, c.end);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  struct Point {
    Token token;
    uint32_t node;
    uint32_t prev, next;  // circular, in token order
  };
  struct Candidate {
    double improvement;
    uint32_t end;  // the range (prev of end, end] is split
    Token start;   // the token of end's prev when evaluated: a changed one means a stale entry

    bool operator<(const Candidate& o) const { return improvement < o.improvement; }
  };
  // A node's ownership change when the newcomer takes x (a fraction of the ring) at the front of
  // a range: fixed + per_x * x.
  struct Change {
    uint32_t node;
    double primary_fixed, replica_fixed, primary_per_x, replica_per_x;
  };
  struct Split {
    double improvement;
    Token token;
  };

  Token Start(uint32_t e) const { return points_[points_[e].prev].token; }
  double RangeSize(uint32_t e) const { return Fraction(Start(e), points_[e].token); }

  // The distinct nodes, at most weights_.size(), walking clockwise from point `start`; with
  // `after`, the newcomer stands as a point just after that one (or, when `start` is
  // kNewPoint, the walk starts at the newcomer's point after `after`).
  static constexpr uint32_t kNewPoint = ~uint32_t{0};
  void Walk(uint32_t start, std::optional<uint32_t> after, std::vector<uint32_t>* out) const {
    out->clear();
    auto take = [&](uint32_t node) {
      if (std::find(out->begin(), out->end(), node) == out->end()) out->push_back(node);
    };
    uint32_t at = start;
    if (start == kNewPoint) {
      take(newcomer_);
      at = points_[*after].next;
    }
    for (size_t step = 0; step < points_.size() && out->size() < weights_.size(); ++step) {
      take(points_[at].node);
      if (after && at == *after && start != kNewPoint && out->size() < weights_.size())
        take(newcomer_);
      at = points_[at].next;
    }
  }

  // The ownership changes of the newcomer taking the front of range (prev of e, e]: that part
  // gets the newcomer first (per x), and the ranges before it whose walk reaches the new point
  // before it has all its copies take the newcomer in (fixed).
  void Changes(uint32_t e, std::vector<Change>* changes) {
    changes->clear();
    auto add = [&](uint32_t node, double primary_fixed, double replica_fixed, double primary_per_x,
                   double replica_per_x) {
      for (Change& c : *changes) {
        if (c.node != node) continue;
        c.primary_fixed += primary_fixed;
        c.replica_fixed += replica_fixed;
        c.primary_per_x += primary_per_x;
        c.replica_per_x += replica_per_x;
        return;
      }
      changes->push_back(Change{node, primary_fixed, replica_fixed, primary_per_x, replica_per_x});
    };
    const uint32_t a = points_[e].prev;
    Walk(e, std::nullopt, &old_walk_);
    Walk(kNewPoint, a, &walk_);
    add(old_walk_[0], 0, 0, -1, 0);
    add(newcomer_, 0, 0, 1, 0);
    for (size_t k = 0; k < old_walk_.size(); ++k) add(old_walk_[k], 0, 0, 0, -weights_[k]);
    for (size_t k = 0; k < walk_.size(); ++k) add(walk_[k], 0, 0, 0, weights_[k]);
    // Ranges before: their walks change while the points from them to `a` hold fewer distinct
    // nodes than there are copies, and not the newcomer.
    // In a ring of fewer nodes than copies the walks come all the way round, and the rest of
    // the split range, (new point, e], takes the newcomer in too: its size is the range's less x.
    seen_.clear();
    for (uint32_t j = a;; j = points_[j].prev) {
      const uint32_t node = points_[j].node;
      if (node == newcomer_) break;
      if (std::find(seen_.begin(), seen_.end(), node) == seen_.end()) seen_.push_back(node);
      if (seen_.size() >= weights_.size()) break;
      Walk(j, std::nullopt, &old_walk_);
      Walk(j, a, &walk_);
      const bool rest_of_split = j == e;
      const double size = RangeSize(j);
      for (size_t k = 0; k < old_walk_.size(); ++k) {
        add(old_walk_[k], 0, -weights_[k] * size, 0, rest_of_split ? weights_[k] : 0);
      }
      for (size_t k = 0; k < walk_.size(); ++k)
        add(walk_[k], 0, weights_[k] * size, 0, rest_of_split ? -weights_[k] : 0);
      if (rest_of_split) break;
    }
  }

  // Where to split range (prev of e, e] so that the sum of squared relative deviations from the
  // fair shares (first replica and any replica) falls most, and by how much. The sum is a
  // parabola in x, the part the newcomer takes; x is kept to [1/16, 15/16] of the range so that
  // no token is left with a sliver. An improvement of -inf: the range has no token inside.
  Split BestSplit(uint32_t e) {
    const Token from = Start(e), width = points_[e].token - from;  // width 0: the whole ring
    if (width == 1) return Split{-std::numeric_limits<double>::infinity(), 0};
    Changes(e, &changes_);
    const double wp = 1 / (target_primary_ * target_primary_);
    const double wr = 1 / (target_replica_ * target_replica_);
    double slope = 0, curvature = 0;  // d/dx at 0 over 2, d2/dx2 over 2
    for (const Change& c : changes_) {
      const double p = primary_[c.node] - target_primary_ + c.primary_fixed;
      const double r = replica_[c.node] - target_replica_ + c.replica_fixed;
      slope += wp * p * c.primary_per_x + wr * r * c.replica_per_x;
      curvature += wp * c.primary_per_x * c.primary_per_x + wr * c.replica_per_x * c.replica_per_x;
    }
    // The new token's share, x, and the split token's, its range less x, against a token's fair
    // share.
    const double size = RangeSize(e);
    slope += token_weight_ * -target_token_ - kRestWeight * token_weight_ * (size - target_token_);
    curvature += (1 + kRestWeight) * token_weight_;
    const double x = std::clamp(-slope / curvature, size / 16, size * 15 / 16);
    const double rest = size - x - target_token_, before = size - target_token_;
    double delta = token_weight_ * ((x - target_token_) * (x - target_token_) +
                                    kRestWeight * (rest * rest - before * before));
    for (const Change& c : changes_) {
      const double p = primary_[c.node] - target_primary_;
      const double r = replica_[c.node] - target_replica_;
      const double dp = c.primary_fixed + c.primary_per_x * x;
      const double dr = c.replica_fixed + c.replica_per_x * x;
      delta += wp * ((p + dp) * (p + dp) - p * p) + wr * ((r + dr) * (r + dr) - r * r);
    }
    const double span = width == 0 ? std::ldexp(1.0, 64) : static_cast<double>(width);
    auto offset = static_cast<Token>(span * (x / size));
    offset = std::clamp<Token>(offset, 1, width - 1);  // width 0 wraps: any offset is inside
    return Split{-delta, from + offset};
  }

  void Push(std::priority_queue<Candidate>* queue, uint32_t e) {
    const Split split = BestSplit(e);
    if (split.improvement == -std::numeric_limits<double>::infinity()) return;
    queue->push(Candidate{split.improvement, e, Start(e)});
  }

  // Splits the range (prev of e, e] with a newcomer's token at `t`; returns the new point.
  uint32_t Insert(uint32_t e, Token t) {
    Changes(e, &changes_);
    const double x = Fraction(Start(e), t);
    for (const Change& c : changes_) {
      primary_[c.node] += c.primary_fixed + c.primary_per_x * x;
      replica_[c.node] += c.replica_fixed + c.replica_per_x * x;
    }
    const uint32_t a = points_[e].prev;
    const auto added = static_cast<uint32_t>(points_.size());
    points_.push_back(Point{t, newcomer_, a, e});
    points_[a].next = added;
    points_[e].prev = added;
    return added;
  }

  std::vector<Point> points_;
  std::vector<double> primary_, replica_;  // per node: the shares of the key space it holds
  std::vector<double> weights_;
  uint32_t newcomer_ = 0;
  double target_primary_ = 0, target_replica_ = 0;
  // A token's fair share of the ring, and the weight of its squared deviation: the newcomer's
  // tokens together weigh as much as one node's deviation. Without it the first tokens would take
  // the newcomer's share in a few big bites and leave the rest slivers; with it each token takes
  // about a token's share, and the ranges stay alike for the nodes that join later.
  double target_token_ = 0, token_weight_ = 0;
  // How much the split token's deviation counts beside the new token's: enough that the large
  // ranges of an overfull node are split first, not so much that it outweighs the nodes' shares.
  static constexpr double kRestWeight = 0.3;
  static constexpr double kSlack = 0.2;
  // Scratch, kept to spare allocations in the hot loop.
  std::vector<uint32_t> walk_, old_walk_, seen_;
  std::vector<Change> changes_;
};

// The members of each balancing group: one per zone when the nodes (the newcomer's zone
// included) state more than one, else one group of all.
struct Groups {
  std::vector<std::string> zones;
  std::vector<std::vector<RingMember>> members;
};

Groups GroupByZone(const std::vector<RingMember>& ring,
                   std::optional<std::string_view> extra_zone) {
  Groups g;
  for (const RingMember& m : ring) g.zones.push_back(m.zone);
  if (extra_zone) g.zones.emplace_back(*extra_zone);
  std::sort(g.zones.begin(), g.zones.end());
  g.zones.erase(std::unique(g.zones.begin(), g.zones.end()), g.zones.end());
  if (g.zones.size() <= 1) {
    g.zones.assign(1, extra_zone ? std::string(*extra_zone) : std::string());
    g.members.push_back(ring);
    return g;
  }
  g.members.resize(g.zones.size());
  for (const RingMember& m : ring) {
    const size_t z = static_cast<size_t>(std::lower_bound(g.zones.begin(), g.zones.end(), m.zone) -
                                         g.zones.begin());
    g.members[z].push_back(m);
  }
  return g;
}

std::vector<size_t> Sizes(const Groups& g) {
  std::vector<size_t> out;
  for (const auto& members : g.members) out.push_back(members.size());
  return out;
}

}  // namespace

std::vector<Token> AllocateTokens(const std::vector<RingMember>& ring, size_t replicas,
                                  std::string_view id, std::string_view zone, int vnodes) {
  std::vector<RingMember> others;
  for (const RingMember& m : ring)
    if (m.id != id && !m.tokens.empty()) others.push_back(m);
  const Groups groups = GroupByZone(others, zone);
  const size_t z = static_cast<size_t>(
      std::lower_bound(groups.zones.begin(), groups.zones.end(), zone) - groups.zones.begin());
  const std::vector<RingMember>& group = groups.members[z];
  if (group.empty()) return VnodeTokens(id, vnodes);
  std::vector<size_t> sizes = Sizes(groups);
  ++sizes[z];  // the copies once the newcomer has joined
  const double copies = ZoneCopies(replicas, sizes)[z];
  BalancedRing balanced(group, copies);
  return balanced.Allocate(vnodes);
}

std::map<std::string, Ownership> ZoneOwnershipShares(const std::vector<RingMember>& ring,
                                                     size_t replicas) {
  std::map<std::string, Ownership> out;
  const Groups groups = GroupByZone(ring, std::nullopt);
  const std::vector<double> copies = ZoneCopies(replicas, Sizes(groups));
  for (size_t z = 0; z < groups.members.size(); ++z) {
    const BalancedRing balanced(groups.members[z], copies[z]);
    for (uint32_t node = 0; node < balanced.node_count(); ++node)
      out[groups.members[z][node].id] = Ownership{balanced.primary(node), balanced.replica(node)};
  }
  return out;
}

}  // namespace kv
