#include "libkv/node/gossiper.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "libkv/membership/ring_members.h"

namespace kv {

namespace asio = boost::asio;

uint64_t MonotonicMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

uint64_t WallMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

Gossiper::Gossiper(NodeState self, const std::vector<NodeState>& known, GossipOptions options,
                   Transport* transport, Env* env, std::string membership_path,
                   std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      transport_(transport),
      env_(env),
      membership_path_(std::move(membership_path)),
      logger_(std::move(logger)),
      table_(std::move(self), options_.detector),
      rng_(std::random_device{}()) {
  std::lock_guard lock(mu_);
  LogRefusalsLocked(table_.Restore(known, WallSeconds()));
  // Nodes that left before this life began are not listed (kLeftNodeListedFor).
  for (const auto& [id, s] : table_.states())
    if (s.status == NodeStatus::kLeft)
      left_seen_.emplace(id, std::chrono::steady_clock::time_point());
  PublishViewLocked();
}

Status Gossiper::Start(asio::any_io_executor executor) {
  std::lock_guard lock(mu_);
  // The generation of this life must be on disk before the node serves: the next start reads
  // it to pick a higher one.
  KV_RETURN_IF_ERROR(env_->WriteFileAtomically(membership_path_, table_.EncodeFile()));
  asio::co_spawn(executor, Rounds(), asio::detached);
  return Status::Ok();
}

void Gossiper::Stop() {
  stop_.Stop();
}

asio::awaitable<void> Gossiper::Rounds() {
  while (co_await stop_.Sleep(options_.interval)) {
    std::vector<std::string> targets;
    std::string syn;
    // Measured before the lock: the engine takes its own.
    const std::optional<NodeLoad> load =
        options_.measure_load ? std::optional(options_.measure_load()) : std::nullopt;
    {
      std::lock_guard lock(mu_);
      const uint64_t now = MonotonicMicros();
      if (load) {
        table_.BeatHeartbeat(*load);
        load_measured_ = true;
      } else {
        table_.BeatHeartbeat();
      }
      targets = table_.ChooseGossipTargets(options_.seeds, rng_, now);
      syn = EncodeGossipSyn(table_.MakeSyn());
      LogUpDownLocked(now);
    }
    auto executor = co_await asio::this_coro::executor;
    for (std::string& target : targets)
      asio::co_spawn(executor, Exchange(std::move(target), syn), asio::detached);
  }
}

asio::awaitable<void> Gossiper::Exchange(std::string address, std::string syn) {
  // A round's exchange must end well before the next round starts.
  const auto timeout = options_.interval;
  // Arguments named, not temporaries inside co_await: g++ 12 mis-destroys those.
  std::string syn_body = EncodeMessage(GossipSyn{.payload = std::move(syn)});
  Result<Frame> answer = co_await transport_->Call(address, wire::MessageType::kGossipSyn,
                                                   std::move(syn_body), timeout);
  if (!answer.ok()) {
    logger_->debug("gossip with {}: {}", address, answer.status().ToString());
    co_return;
  }
  Result<GossipAck> ack_message = DecodeMessage<GossipAck>(answer->body);
  Result<GossipAckMessage> ack =
      ack_message.ok() ? DecodeGossipAck(ack_message->payload) : ack_message.status();
  if (!ack.ok()) {
    logger_->warn("gossip with {}: a bad ACK: {}", address, ack.status().ToString());
    co_return;
  }
  std::string ack2;
  {
    std::lock_guard lock(mu_);
    AckOutcome outcome = table_.HandleAck(*ack, MonotonicMicros(), WallSeconds());
    OnChangesLocked(outcome.changes);
    ack2 = EncodeGossipAck2(outcome.reply);
  }
  std::string ack2_body = EncodeMessage(GossipAck2{.payload = std::move(ack2)});
  Result<Frame> done = co_await transport_->Call(address, wire::MessageType::kGossipAck2,
                                                 std::move(ack2_body), timeout);
  if (!done.ok()) logger_->debug("gossip ACK2 to {}: {}", address, done.status().ToString());
}

Result<GossipAck> Gossiper::HandleSyn(std::string_view payload) {
  Result<GossipSynMessage> syn = DecodeGossipSyn(payload);
  if (!syn.ok()) return Status::Protocol(syn.status().message());
  std::lock_guard lock(mu_);
  return GossipAck{.payload = EncodeGossipAck(table_.HandleSyn(*syn))};
}

Status Gossiper::HandleAck2(std::string_view payload) {
  Result<GossipAck2Message> ack2 = DecodeGossipAck2(payload);
  if (!ack2.ok()) return Status::Protocol(ack2.status().message());
  std::lock_guard lock(mu_);
  OnChangesLocked(table_.HandleAck2(*ack2, MonotonicMicros(), WallSeconds()));
  return Status::Ok();
}

uint64_t Gossiper::WallSeconds() {
  return WallMicros() / 1000000;
}

void Gossiper::LogRefusalsLocked(const std::vector<StateChange>& changes) {
  for (const StateChange& c : changes) {
    if (c.kind != StateChange::Kind::kRefused) continue;
    // Once per node id: a peer repeating a forgery every round must not flood the log. The set
    // is bounded like the table (ids beyond the bound are not remembered, only logged less).
    if (refusals_logged_.size() >= kMaxRefusalsLogged ||
        !refusals_logged_.emplace(c.id, c.why).second)
      continue;
    logger_->warn("membership: refused a gossip state of node {}: {}", c.id, c.why);
  }
}

void Gossiper::OnChangesLocked(const std::vector<StateChange>& changes) {
  LogRefusalsLocked(changes);
  bool ring_changed = false;
  bool persist = false;
  for (const StateChange& c : changes) {
    if (c.kind == StateChange::Kind::kRefused) continue;
    if (c.kind == StateChange::Kind::kSelfCorrected) {
      logger_->warn("membership: {}", c.why);
      persist = true;  // a restart must start above the generation it took
      continue;
    }
    const NodeState* s = table_.Find(c.id);
    if (c.kind == StateChange::Kind::kNew)
      logger_->info("membership: learnt of node {} at {} ({}, {} vnodes)", c.id, s->address,
                    NodeStatusName(s->status), s->vnodes);
    else if (c.kind == StateChange::Kind::kRestarted)
      logger_->info("membership: node {} restarted (generation {})", c.id, s->generation);
    else if (c.ring_changed)
      logger_->info("membership: node {} is now {} at {} with {} vnodes", c.id,
                    NodeStatusName(s->status), s->address, s->vnodes);
    ring_changed |= c.ring_changed;
  }
  if (ring_changed) PublishViewLocked();
  // Rare (a node joins, restarts or moves), so the small file's fsync is done right here.
  if (ring_changed || persist) PersistLocked();
}

void Gossiper::PublishViewLocked() {
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [id, s] : table_.states())
    if (s.status == NodeStatus::kLeft) left_seen_.emplace(id, now);  // kept when already there
  auto view = std::make_shared<ClusterView>();
  view->self = table_.self().id;
  view->ring = std::make_shared<const Ring>(RingMembersOf(table_));
  // Shared when nothing is joining or leaving, so ClusterView::changing() is a pointer compare.
  Ring future(FutureRingMembersOf(table_));
  view->future = future.nodes() == view->ring->nodes()
                     ? view->ring
                     : std::make_shared<const Ring>(std::move(future));
  if (!view_ || !view_->ring->PlacesLike(*view->ring) ||
      view_->future->nodes() != view->future->nodes())
    ring_changed_at_ = std::chrono::steady_clock::now();
  for (const auto& [id, s] : table_.states()) view->addresses.emplace(id, s.address);
  view_ = std::move(view);
}

void Gossiper::PersistLocked() {
  if (Status s = env_->WriteFileAtomically(membership_path_, table_.EncodeFile()); !s.ok())
    logger_->warn("could not save the membership to {}: {}", membership_path_, s.ToString());
}

void Gossiper::LogUpDownLocked(uint64_t now) {
  for (const auto& [id, s] : table_.states()) {
    if (id == table_.self().id || s.status == NodeStatus::kLeft) continue;
    const bool up = table_.IsUp(id, now);
    auto it = up_.find(id);
    if (it != up_.end() && it->second == up) continue;
    if (it != up_.end() || up)
      logger_->info("node {} ({}) is {}", id, s.address, up ? "up" : "down");
    up_[id] = up;
  }
}

std::shared_ptr<const ClusterView> Gossiper::view() const {
  std::lock_guard lock(mu_);
  return view_;
}

bool Gossiper::IsUp(std::string_view id) const {
  std::lock_guard lock(mu_);
  return table_.IsUp(id, MonotonicMicros());
}

bool Gossiper::SeesPeers() const {
  std::lock_guard lock(mu_);
  return !table_.LivePeers(MonotonicMicros()).empty();
}

size_t Gossiper::NormalPeersUp() const {
  std::lock_guard lock(mu_);
  const uint64_t now = MonotonicMicros();
  size_t count = 0;
  for (const auto& [id, s] : table_.states())
    if (id != table_.self().id && s.status == NodeStatus::kNormal && table_.IsUp(id, now)) ++count;
  return count;
}

Result<std::vector<std::string>> Gossiper::RemoveDeadNode(std::string_view id, size_t replicas,
                                                          bool force) {
  std::lock_guard lock(mu_);
  const uint64_t now = MonotonicMicros();
  const NodeState* target = table_.Find(id);
  if (target == nullptr)
    return Status::InvalidArgument(
        fmt::format("node {} is not in the cluster as this node knows it (kvring lists them)", id));
  if (id == table_.self().id)
    return Status::InvalidArgument(
        fmt::format("node {} is the node asked: a live node leaves with kvring leave; to remove "
                    "it, ask another node once it is down",
                    id));
  if (target->status == NodeStatus::kLeft)
    return Status::InvalidArgument(fmt::format("node {} has already left the cluster", id));
  if (table_.IsUp(id, now))
    return Status::InvalidArgument(fmt::format(
        "node {} is up: a live node leaves with `kvring leave --node {}` (it streams its own "
        "ranges); remove only a node that is down for good (stop it first)",
        id, target->address));
  if (!force) {
    size_t remaining = 0;
    std::vector<std::string> down;
    for (const auto& [other, s] : table_.states()) {
      if (other == id) continue;
      const bool up = table_.IsUp(other, now);
      if (s.status == NodeStatus::kNormal && up) ++remaining;
      if (!up && s.status != NodeStatus::kLeft) down.push_back(other);
    }
    if (remaining < replicas)
      return Status::InvalidArgument(fmt::format(
          "removing {} would leave {} normal nodes up for N={} replicas of each key; add a node "
          "first (or bring the down ones back). --force removes it anyway: its keys then have "
          "fewer than N copies until nodes are added",
          id, remaining, replicas));
    if (!down.empty())
      return Status::InvalidArgument(fmt::format(
          "other nodes are down too ({}): {}'s ranges would be streamed from fewer replicas, and "
          "keys that only they and {} hold would be missing until they return; bring them back "
          "first. --force removes it anyway, at that risk",
          fmt::join(down, ", "), id, id));
  }
  const std::shared_ptr<const ClusterView> before = view_;
  KV_RETURN_IF_ERROR(table_.MarkLeftOnBehalf(id));
  logger_->warn("membership: node {} removed from the ring on its behalf (kvring remove{})", id,
                force ? " --force" : "");
  PublishViewLocked();
  ring_changed_at_ = std::chrono::steady_clock::now();
  KV_RETURN_IF_ERROR(env_->WriteFileAtomically(membership_path_, table_.EncodeFile()));
  std::vector<std::string> gainers;
  for (const std::string& node : view_->ring->nodes())
    if (before->ring->RangesReplicatedBy(node, replicas) !=
        view_->ring->RangesReplicatedBy(node, replicas))
      gainers.push_back(node);
  return gainers;
}

std::optional<std::string> Gossiper::RefusalOf(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = refusals_logged_.find(id);
  if (it == refusals_logged_.end()) return std::nullopt;
  return it->second;
}

NodeStatus Gossiper::self_status() const {
  std::lock_guard lock(mu_);
  return table_.self().status;
}

Status Gossiper::SetSelfStatus(NodeStatus status) {
  std::lock_guard lock(mu_);
  if (table_.self().status == status) return Status::Ok();
  logger_->info("membership: this node ({}) is now {}", table_.self().id, NodeStatusName(status));
  table_.SetStatus(status);
  PublishViewLocked();
  return env_->WriteFileAtomically(membership_path_, table_.EncodeFile());
}

Status Gossiper::SetSelfTokens(std::vector<uint64_t> tokens) {
  std::lock_guard lock(mu_);
  logger_->info("membership: this node ({}) chose its {} tokens", table_.self().id, tokens.size());
  table_.SetTokens(std::move(tokens));
  PublishViewLocked();
  return env_->WriteFileAtomically(membership_path_, table_.EncodeFile());
}

TokenKind Gossiper::self_token_kind() const {
  std::lock_guard lock(mu_);
  return table_.self().token_kind;
}

bool Gossiper::EarlierPendingPeerUp() const {
  std::lock_guard lock(mu_);
  const uint64_t now = MonotonicMicros();
  for (const auto& [id, s] : table_.states()) {
    if (id >= table_.self().id) break;  // states() is ordered by id
    if (s.status == NodeStatus::kJoining && s.token_kind == TokenKind::kPending &&
        table_.IsUp(id, now))
      return true;
  }
  return false;
}

std::vector<RingMember> Gossiper::FutureRingMembersButSelf() const {
  std::lock_guard lock(mu_);
  std::vector<RingMember> out = FutureRingMembersOf(table_);
  std::erase_if(out, [&](const RingMember& m) { return m.id == table_.self().id; });
  return out;
}

Status Gossiper::CheckSettled(std::chrono::milliseconds ring_delay) const {
  std::lock_guard lock(mu_);
  const auto retry = [&](std::string why, std::chrono::milliseconds in) {
    return Status::Unavailable(fmt::format(
        "the ring is not settled: {}; cleanup runs only when no node is joining or leaving, every "
        "node is up and the ring has not changed for the ring delay ({} ms); retry in {:.1f} s",
        why, ring_delay.count(), std::chrono::duration<double>(in).count()));
  };
  if (view_->changing()) {
    std::vector<std::string> moving;
    for (const auto& [id, s] : table_.states())
      if (s.status == NodeStatus::kJoining || s.status == NodeStatus::kLeaving)
        moving.push_back(fmt::format("{} {}", id, NodeStatusName(s.status)));
    return retry(fmt::format("nodes are joining or leaving ({})", fmt::join(moving, ", ")),
                 ring_delay);
  }
  const uint64_t now = MonotonicMicros();
  std::vector<std::string> down;
  for (const std::string& id : view_->ring->nodes())
    if (!table_.IsUp(id, now)) down.push_back(id);
  if (!down.empty())
    return retry(
        fmt::format("{} of the ring's {} nodes are down ({}{})", down.size(),
                    view_->ring->nodes().size(),
                    fmt::join(down.begin(), down.begin() + std::min<size_t>(5, down.size()), ", "),
                    down.size() > 5 ? ", ..." : ""),
        ring_delay);
  const auto since = std::chrono::steady_clock::now() - ring_changed_at_;
  if (since < ring_delay) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(ring_delay - since);
    return retry(
        fmt::format("the ring changed {:.1f} s ago", std::chrono::duration<double>(since).count()),
        left);
  }
  return Status::Ok();
}

// How long kvring keeps listing a node that has left (or was removed) after this node learnt it
// (not at all when that was before this node started): long enough to watch a leave or a removal
// end, short enough that the listing does not fill with nodes long gone (issue 17). A left node
// stays in the membership table for ever, so that old gossip cannot bring it back; only the listing
// drops it.
constexpr std::chrono::hours kLeftNodeListedFor{1};

RingResponse Gossiper::Describe(std::string_view key, const QuorumSettings& quorum) const {
  std::lock_guard lock(mu_);
  const uint64_t now = MonotonicMicros();
  RingResponse out;
  out.self = table_.self().id;
  out.replicas = quorum.n;
  out.read_quorum = quorum.r;
  out.write_quorum = quorum.w;
  const std::map<std::string, Ownership> shares = view_->ring->OwnershipShares(quorum.n);
  for (const auto& [id, s] : table_.states()) {
    if (s.status == NodeStatus::kLeft && id != out.self) {
      auto seen = left_seen_.find(id);
      if (seen == left_seen_.end() ||
          std::chrono::steady_clock::now() - seen->second > kLeftNodeListedFor)
        continue;
    }
    RingNodeInfo n;
    n.id = id;
    n.address = s.address;
    n.up = table_.IsUp(id, now);
    n.state = std::string(NodeStatusName(s.status));
    n.vnodes = s.vnodes;
    if (auto it = shares.find(id); it != shares.end()) {
      n.ownership = it->second.replica;
      n.primary_ownership = it->second.primary;
    }
    if (id != out.self) {
      if (std::optional<uint64_t> last = table_.detector().LastHeartbeat(id))
        n.seconds_since_heard = static_cast<double>(now - std::min(now, *last)) / 1e6;
    }
    n.generation = s.generation;
    n.clock_id = ClockIdToHex(s.clock_id);
    // Gossip carries no "stated" flag: another node's zero load reads as none stated (a node of
    // an older format, or one that holds nothing at all yet).
    n.load_stated = id == out.self ? load_measured_ : s.load != NodeLoad{};
    n.disk_bytes = s.load.disk_bytes;
    n.keys = s.load.keys;
    n.zone = s.zone;
    out.nodes.push_back(std::move(n));
  }
  if (!key.empty()) {
    out.key = std::string(key);
    out.preference_list = view_->ring->PreferenceList(key, quorum.n);
  }
  return out;
}

}  // namespace kv
