// NodeService's joining and leaving: Join, Leave and the answer to a LeaveRequest.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <chrono>

#include "libkv/node/node_service.h"
#include "libkv/ring/token_allocator.h"

namespace kv {

namespace asio = boost::asio;

asio::awaitable<void> NodeService::Join() {
  spdlog::logger& log = *parts_.logger;
  const auto start = std::chrono::steady_clock::now();
  // Streaming before this node knows the ring would stream nothing: wait to reach a seed.
  if (!gossiper_->SeesPeers()) log.info("joining: waiting to reach the cluster through the seeds");
  while (!gossiper_->SeesPeers())
    if (!co_await stop_.Sleep(gossip_interval_)) co_return;
  if (gossiper_->self_token_kind() == TokenKind::kPending) {
    // A seed's ACK brings every state it knows; two more rounds let the other nodes' answers in.
    if (!co_await stop_.Sleep(2 * gossip_interval_)) co_return;
    // Nodes joining together choose in id order; one that stays pending for a minute (stuck
    // before its seeds, say) is waited for no longer: the worst then is two nodes sharing ranges
    // unevenly, never a wrong placement.
    const auto waited_from = std::chrono::steady_clock::now();
    while (gossiper_->EarlierPendingPeerUp() &&
           std::chrono::steady_clock::now() - waited_from < std::chrono::minutes(1))
      if (!co_await stop_.Sleep(gossip_interval_)) co_return;
    const std::vector<RingMember> ring = gossiper_->FutureRingMembersButSelf();
    std::vector<Token> tokens = AllocateTokens(ring, quorum_.n, identity_.id, zone_, vnodes_);
    log.info("joining: chose {} tokens balanced against the {} nodes of the ring", tokens.size(),
             ring.size());
    // Persisted before the next round announces them; the ring delay below starts after.
    if (Status s = gossiper_->SetSelfTokens(std::move(tokens)); !s.ok()) {
      log.error("joining: could not persist the chosen tokens: {}; not joining", s.ToString());
      co_return;
    }
  }
  log.info("joining: waiting {} ms (the ring delay) so that every node sees this one joining",
           ring_delay_.count());
  if (!co_await stop_.Sleep(ring_delay_)) co_return;
  for (;;) {
    log.info("joining: streaming the ranges this node will replicate from their replicas");
    // The whole ring, with every node: only the keys both sides should hold are compared.
    const TokenRange whole_ring{0, 0};
    RepairResponse figures = co_await anti_entropy_->RepairRange(whole_ring);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (figures.replicas > 0 && figures.replicas_unreachable == figures.replicas) {
      log.warn("joining: no other node could be reached ({}); trying again", figures.problems);
      if (!co_await stop_.Sleep(ring_delay_)) co_return;
      continue;
    }
    if (figures.replicas_unreachable > 0)
      log.warn(
          "joining: {} of {} nodes could not be reached ({}); their keys came from the other "
          "replicas, and anti-entropy (kvrepair) brings what only they had",
          figures.replicas_unreachable, figures.replicas, figures.problems);
    if (Status s = gossiper_->SetSelfStatus(NodeStatus::kNormal); !s.ok())
      log.error("joining: could not persist the membership: {}", s.ToString());
    log.info("joined: {} keys streamed, {} bytes exchanged with {} nodes, in {:.1f} s",
             figures.keys_repaired, figures.bytes_exchanged, figures.replicas, seconds);
    co_return;
  }
}

Status NodeService::CheckLeaveKeepsN() const {
  // The ring left behind must still hold N copies of every key: counted as the nodes that are
  // normal and up, not the ring's size, so that members nobody hears from (down, or never real)
  // do not count.
  const size_t remaining = gossiper_->NormalPeersUp();
  if (remaining >= quorum_.n) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("leaving would leave {} normal nodes up for N={} replicas of each key; add a "
                  "node first (or bring the down ones back)",
                  remaining, quorum_.n));
}

Result<RemoveResponse> NodeService::AnswerRemove(const RemoveRequest& request) {
  // Only a node whose view is whole may decide what the ring loses.
  if (gossiper_->self_status() != NodeStatus::kNormal || !gossiper_->SeesPeers())
    return Status::Unavailable(
        "this node is not a normal member that has reached the cluster; ask another node");
  KV_ASSIGN_OR_RETURN(std::vector<std::string> gainers,
                      gossiper_->RemoveDeadNode(request.node, quorum_.n, request.force));
  parts_.logger->info("removed {} from the ring; its ranges go to {}", request.node,
                      fmt::join(gainers, ", "));
  return RemoveResponse{.streams_to = std::move(gainers)};
}

bool NodeService::ReachedCluster() const {
  const std::shared_ptr<const ClusterView> view = gossiper_->view();
  // A node started alone (no seeds but itself, nobody else on its ring) has nobody to reach.
  const std::string_view own_address = view->AddressOf(view->self);
  const bool seeded = std::any_of(seeds_.begin(), seeds_.end(),
                                  [&](const std::string& seed) { return seed != own_address; });
  const bool alone = !seeded && view->ring->nodes().size() <= 1;
  return alone || gossiper_->SeesPeers();
}

Status NodeService::CheckMayRepair() const {
  switch (gossiper_->self_status()) {
    case NodeStatus::kJoining:
      return Status::Unavailable(
          "this node is joining: it streams its ranges from their replicas first; repair once "
          "kvring shows it normal");
    case NodeStatus::kLeaving:
    case NodeStatus::kLeft:
      return Status::Unavailable(
          "this node is leaving the cluster: repair on a node that stays (kvring leave --status "
          "on this one shows how the leave goes)");
    case NodeStatus::kNormal:
      break;
  }
  if (!ReachedCluster())
    return Status::Unavailable(
        "this node has not reached the cluster yet (no other node is up in its view), so it "
        "does not know every replica: wait until kvring on it shows the other nodes up");
  return Status::Ok();
}

Status NodeService::Health() const {
  switch (gossiper_->self_status()) {
    case NodeStatus::kJoining:
      return Status::Unavailable(
          "joining: this node streams its ranges from their replicas before it owns them");
    case NodeStatus::kLeaving:
      return Status::Unavailable("leaving: this node streams its ranges to their new owners");
    case NodeStatus::kLeft:
      return Status::Unavailable("left: this node has left the cluster");
    case NodeStatus::kNormal:
      break;
  }
  if (!ReachedCluster())
    return Status::Unavailable(
        "not reached the cluster: no other node is up in this node's view yet");
  return Status::Ok();
}

void NodeService::SetLeavePhase(std::string phase) {
  parts_.logger->info("leaving: {}", phase);
  std::lock_guard lock(mu_);
  leave_.phase = std::move(phase);
}

LeaveResponse NodeService::AnswerLeave(const LeaveRequest& request) {
  const NodeStatus status = gossiper_->self_status();
  bool start = false;
  {
    std::lock_guard lock(mu_);
    if (!request.status_only && status == NodeStatus::kNormal && !leave_.running &&
        !stop_.stopped()) {
      leave_ = LeaveProgress{.running = true,
                             .phase = "starting",
                             .keys = 0,
                             .bytes = 0,
                             .start = std::chrono::steady_clock::now(),
                             .error = {}};
      start = true;
    }
  }
  // Not under mu_: the coroutine may start right here, and it takes mu_.
  if (start) asio::co_spawn(executor_, Leave(), asio::detached);
  std::lock_guard lock(mu_);
  LeaveResponse out;
  out.state = std::string(NodeStatusName(
      leave_.running && status == NodeStatus::kNormal ? NodeStatus::kLeaving : status));
  out.phase = leave_.phase;
  out.keys_streamed = leave_.keys;
  out.bytes_streamed = leave_.bytes;
  if (leave_.start != std::chrono::steady_clock::time_point())
    out.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - leave_.start).count();
  out.error = leave_.error;
  return out;
}

asio::awaitable<void> NodeService::Leave() {
  spdlog::logger& log = *parts_.logger;
  auto fail = [&](std::string why) {
    log.error("leaving failed, this node stays normal: {}", why);
    if (Status s = gossiper_->SetSelfStatus(NodeStatus::kNormal); !s.ok())
      log.error("could not persist the membership: {}", s.ToString());
    std::lock_guard lock(mu_);
    leave_.running = false;
    leave_.phase = "failed";
    leave_.error = std::move(why);
  };
  if (Status s = gossiper_->SetSelfStatus(NodeStatus::kLeaving); !s.ok()) {
    fail(fmt::format("could not persist the membership: {}", s.ToString()));
    co_return;
  }
  SetLeavePhase(fmt::format(
      "waiting {} ms (the ring delay) so that every node sends new writes to the new owners",
      ring_delay_.count()));
  if (!co_await stop_.Sleep(ring_delay_)) co_return;
  // Checked again now, and once more before turning left: the membership the request was
  // accepted under may have changed, and a node must never leave fewer than N normal nodes.
  if (Status s = CheckLeaveKeepsN(); !s.ok()) {
    fail(s.message());
    co_return;
  }
  // Two passes: the second hands on what reached this node during the first (a coordinator that
  // had not yet heard of the leave), and finds nothing left when none did.
  constexpr int kPasses = 2;
  constexpr int kAttempts = 5;
  for (int pass = 1; pass <= kPasses; ++pass) {
    for (int attempt = 1;; ++attempt) {
      SetLeavePhase(fmt::format("streaming to the new owners, pass {} of {}", pass, kPasses));
      const TokenRange whole_ring{0, 0};
      RepairResponse figures = co_await anti_entropy_->RepairRange(whole_ring);
      {
        std::lock_guard lock(mu_);
        leave_.keys += figures.keys_repaired;
        leave_.bytes += figures.bytes_exchanged;
      }
      if (figures.replicas_unreachable == 0) break;
      // A new owner that cannot be reached would miss keys only this node may hold.
      if (attempt == kAttempts) {
        fail(fmt::format("{} of {} nodes could not be reached in {} attempts: {}",
                         figures.replicas_unreachable, figures.replicas, kAttempts,
                         figures.problems));
        co_return;
      }
      log.warn("leaving: {} nodes could not be reached ({}); trying again",
               figures.replicas_unreachable, figures.problems);
      if (!co_await stop_.Sleep(ring_delay_)) co_return;
    }
  }
  if (Status s = CheckLeaveKeepsN(); !s.ok()) {
    fail(s.message());
    co_return;
  }
  if (Status s = gossiper_->SetSelfStatus(NodeStatus::kLeft); !s.ok())
    log.error("leaving: could not persist the membership: {}", s.ToString());
  uint64_t keys, bytes;
  {
    std::lock_guard lock(mu_);
    leave_.running = false;
    keys = leave_.keys;
    bytes = leave_.bytes;
  }
  SetLeavePhase(
      fmt::format("left: {} keys streamed, {} bytes exchanged; announcing it", keys, bytes));
  // A few rounds so that the cluster hears it from this node (others stop gossiping with a node
  // that has left), and kvring leave sees "left" before the process ends.
  if (!co_await stop_.Sleep(3 * gossip_interval_ + std::chrono::milliseconds(500))) co_return;
  log.info("left the cluster");
  if (parts_.on_left) parts_.on_left();
}

}  // namespace kv
