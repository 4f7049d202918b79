// NodeService's request dispatch (Answer and the replica writes) and its life: Create, Start, Stop.
#include "libkv/node/node_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ctime>
#include <optional>
#include <vector>

#include "libkv/async/run_on_pool.h"
#include "libkv/base/limits.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/messages.h"
#include "libkv/net/replica_messages.h"

namespace kv {

namespace asio = boost::asio;

namespace {

std::string ErrorFrame(uint64_t request_id, const Status& status) {
  return EncodeMessageFrame(StatusToErrorResponse(status), request_id);
}

// An answer frame's outcome: ok, unless it is an Error frame (then its code) or a get that found
// nothing. Decodes the body of Error frames only; the rest cost a byte's comparison.
RequestOutcome OutcomeOf(std::string_view frame, bool not_found) {
  if (frame.size() < wire::kFrameHeaderBytes) return RequestOutcome::kProtocol;
  if (static_cast<wire::MessageType>(frame[wire::kLengthBytes]) != wire::MessageType::kError)
    return not_found ? RequestOutcome::kNotFound : RequestOutcome::kOk;
  Result<ErrorResponse> error = DecodeMessage<ErrorResponse>(frame.substr(wire::kFrameHeaderBytes));
  return error.ok() ? RequestOutcomeOf(error->code) : RequestOutcome::kProtocol;
}

// What the membership file remembers; a missing file is a first start, a bad one is an error
// (silently forgetting the cluster could make a node think it is alone).
Result<std::vector<NodeState>> LoadMembership(Env* env, const std::string& path) {
  if (!env->FileExists(path)) return std::vector<NodeState>();
  KV_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(path));
  Result<std::vector<NodeState>> states = MembershipTable::DecodeFile(bytes);
  if (!states.ok())
    return states.status().WithContext(
        fmt::format("{} (remove it to start afresh; the node then rejoins through --seeds)", path));
  return states;
}

// A node that has joined (or was leaving when it stopped: the leave is abandoned) comes back
// normal. Otherwise it joins when it has a seed other than itself (a node listed in its own seeds
// is a seed of the cluster and starts it, as in Cassandra); a node with no seeds is a ring of one.
NodeStatus InitialStatus(std::optional<NodeStatus> last, const std::vector<std::string>& seeds,
                         const std::string& address) {
  if (last == NodeStatus::kNormal || last == NodeStatus::kLeaving) return NodeStatus::kNormal;
  const bool seed_elsewhere =
      std::any_of(seeds.begin(), seeds.end(), [&](const std::string& s) { return s != address; });
  const bool is_seed = std::find(seeds.begin(), seeds.end(), address) != seeds.end();
  return seed_elsewhere && !is_seed ? NodeStatus::kJoining : NodeStatus::kNormal;
}

// A zone as an error message names it.
std::string ZoneText(const std::string& zone) {
  return zone.empty() ? std::string("no zone") : fmt::format("zone {}", zone);
}

}  // namespace

Result<std::unique_ptr<NodeService>> NodeService::Create(const NodeConfig& config,
                                                         const std::string& address, Parts parts) {
  // Only a node whose acknowledged writes are synced may keep its clock id across a crash.
  const bool new_clock = config.sync != SyncMode::kBatch;
  KV_ASSIGN_OR_RETURN(NodeIdentity identity,
                      LoadOrCreateIdentity(parts.env, config.data_dir, config.id,
                                           config.id.empty() ? address : config.id, new_clock));

  const std::string membership_path = config.data_dir + "/MEMBERSHIP";
  KV_ASSIGN_OR_RETURN(std::vector<NodeState> known, LoadMembership(parts.env, membership_path));
  const ClusterSettings settings{.replicas = config.quorum.n,
                                 .read_quorum = config.quorum.r,
                                 .write_quorum = config.quorum.w,
                                 .partitioner = kPartitionerXxh64};
  std::optional<uint64_t> last_generation;
  std::optional<NodeStatus> last_status;
  std::optional<NodeState> last_self;
  for (const NodeState& s : known) {
    if (s.id != identity.id) continue;
    last_generation = s.generation;
    last_status = s.status;
    last_self = s;
    // The cluster knows this node with the settings it last ran with: a change would be refused
    // by every peer (or, unnoticed, place keys elsewhere), so it is refused here, at the start.
    NodeState now = s;
    now.settings = settings;
    now.vnodes = static_cast<uint32_t>(config.vnodes);
    if (std::string differs = SettingsDifference(now, s, "now", "in its last run");
        !differs.empty())
      return Status::InvalidArgument(fmt::format(
          "node {} was started with other cluster settings than it last ran with ({}): {}; a "
          "node's cluster settings never change, so start it with the values it had (to "
          "change them, the whole cluster must be set up anew)",
          identity.id, membership_path, differs));
    // Its data is where the ring placed it for that zone: in another, some keys would lose a
    // zone's copy (or have two in one) until repaired, and every peer's ranges would shift.
    if (s.zone != config.zone)
      return Status::InvalidArgument(fmt::format(
          "node {} last ran in {} ({} records it) and is now started in {}; a node that holds "
          "data keeps its zone: start it with {}, or to move it, run `kvring leave` on it "
          "(its data streams to the nodes that take its ranges), remove its data directory {} "
          "and start it afresh with the new zone",
          identity.id, ZoneText(s.zone), membership_path, ZoneText(config.zone),
          s.zone.empty() ? std::string("no --zone") : "--zone " + s.zone, config.data_dir));
  }
  if (last_status == NodeStatus::kLeft)
    return Status::Unavailable(fmt::format(
        "node {} has left the cluster ({} says so); remove the data directory {} to join it again "
        "as a new node",
        identity.id, membership_path, config.data_dir));

  Result<std::unique_ptr<DotReservation>> dots =
      DotReservation::Open(parts.env, config.data_dir, identity.clock_id);
  if (!dots.ok()) return dots.status();
  std::unique_ptr<NodeService> service(new NodeService(config, identity, parts, std::move(*dots)));
  HintStoreOptions hint_options;
  hint_options.env = parts.env;
  hint_options.dir = HintDir(config.data_dir);
  hint_options.sync = config.sync;
  hint_options.max_age = config.hint_window;
  hint_options.max_target_bytes = config.hint_quota_per_node;
  hint_options.max_total_bytes = config.hint_quota;
  hint_options.logger = parts.logger;
  Result<std::unique_ptr<HintStore>> hints = HintStore::Open(std::move(hint_options));
  if (!hints.ok()) return hints.status().WithContext("opening the hint store");
  service->hints_ = std::move(*hints);
  NodeState self;
  self.id = identity.id;
  self.address = address;
  self.generation = NextGeneration(static_cast<uint64_t>(std::time(nullptr)), last_generation);
  self.status = InitialStatus(last_status, config.seeds, address);
  self.vnodes = static_cast<uint32_t>(config.vnodes);
  self.clock_id = identity.clock_id;
  self.settings = settings;
  self.zone = config.zone;
  // A node's tokens never change: it keeps the kind (and the chosen tokens) its membership file
  // records. A new node joining a running cluster chooses once it has learnt the ring (Join);
  // any other new node has no ring to balance against, and takes the hashed tokens.
  if (last_self) {
    self.token_kind = last_self->token_kind;
    self.tokens = last_self->tokens;
  } else if (self.status == NodeStatus::kJoining &&
             config.token_allocation == NodeConfig::TokenAllocation::kBalanced) {
    self.token_kind = TokenKind::kPending;
  }

  GossipOptions gossip;
  gossip.interval = config.gossip_interval;
  gossip.seeds = config.seeds;
  gossip.detector = config.failure_detector;
  gossip.measure_load = [engine = parts.engine] {
    const EngineStats stats = engine->stats();
    return NodeLoad{.disk_bytes = stats.table_bytes, .keys = stats.estimated_keys};
  };
  service->gossiper_ =
      std::make_unique<Gossiper>(std::move(self), known, std::move(gossip), parts.transport,
                                 parts.env, membership_path, parts.logger);

  Gossiper* gossiper = service->gossiper_.get();
  Coordinator::Services services;
  services.transport = parts.transport;
  services.store = service->store_.get();
  services.hints = service->hints_.get();
  services.engine_pool = parts.engine_pool;
  services.view = [gossiper] { return gossiper->view(); };
  services.is_up = [gossiper](std::string_view id) { return gossiper->IsUp(id); };
  services.wall_micros = WallMicros;
  services.logger = parts.logger.get();
  CoordinatorOptions options;
  options.quorum = config.quorum;
  options.timeout = config.request_timeout;
  options.sloppy_quorum = config.hinted_handoff;
  service->coordinator_ = std::make_unique<Coordinator>(std::move(services), options);

  HintedHandoff::Services handoff;
  handoff.store = service->hints_.get();
  handoff.transport = parts.transport;
  handoff.engine_pool = parts.engine_pool;
  handoff.view = [gossiper] { return gossiper->view(); };
  handoff.is_up = [gossiper](std::string_view id) { return gossiper->IsUp(id); };
  handoff.wall_micros = WallMicros;
  handoff.logger = parts.logger.get();
  HandoffOptions handoff_options;
  handoff_options.max_hints_per_second = config.handoff_rate;
  handoff_options.interval = config.handoff_interval;
  handoff_options.timeout = config.request_timeout;
  service->handoff_ = std::make_unique<HintedHandoff>(std::move(handoff), handoff_options);

  AntiEntropy::Services ae;
  ae.transport = parts.transport;
  ae.engine = parts.engine;
  ae.store = service->store_.get();
  ae.coordinator = service->coordinator_.get();
  ae.engine_pool = parts.engine_pool;
  ae.view = [gossiper] { return gossiper->view(); };
  ae.replicas = config.quorum.n;
  ae.logger = parts.logger.get();
  ae.tombstone_gc = parts.tombstone_gc.get();
  ae.wall_micros = WallMicros;
  NodeService* raw = service.get();
  ae.may_repair = [raw] { return raw->CheckMayRepair(); };
  AntiEntropyOptions ae_options;
  ae_options.interval = config.anti_entropy_interval;
  ae_options.timeout = config.anti_entropy_timeout;
  ae_options.tree_cache_bytes = service->budget_.merkle_cache_bytes;
  ae_options.session_bytes = service->budget_.repair_session_bytes;
  service->anti_entropy_ = std::make_unique<AntiEntropy>(std::move(ae), ae_options);
  return service;
}

Status NodeService::Start(asio::any_io_executor executor) {
  executor_ = executor;
  KV_RETURN_IF_ERROR(gossiper_->Start(executor));
  // Hints survive restarts: a node holding some hands them off whether or not new ones come.
  handoff_->Start(executor);
  anti_entropy_->Start(executor);
  if (gossiper_->self_status() == NodeStatus::kJoining)
    asio::co_spawn(executor, Join(), asio::detached);
  return Status::Ok();
}

void NodeService::Stop() {
  gossiper_->Stop();
  handoff_->Stop();
  anti_entropy_->Stop();
  stop_.Stop();
}

NodeService::~NodeService() {
  if (hints_) {
    if (Status s = hints_->Close(); !s.ok())
      parts_.logger->error("closing the hint store: {}", s.ToString());
  }
}

NodeService::NodeService(const NodeConfig& config, NodeIdentity identity, Parts parts,
                         std::unique_ptr<DotReservation> dots)
    : quorum_(config.quorum),
      ring_delay_(config.ring_delay.count() > 0 ? config.ring_delay : 5 * config.gossip_interval),
      gossip_interval_(config.gossip_interval),
      vnodes_(config.vnodes),
      zone_(config.zone),
      seeds_(config.seeds),
      budget_(SplitMemoryBudget(config.memory_budget, config.memtable_bytes)),
      compression_(config.compression),
      identity_(std::move(identity)),
      parts_(std::move(parts)),
      dots_(std::move(dots)),
      store_(std::make_unique<ReplicaStore>(parts_.engine, identity_.clock_id, dots_.get())) {}

asio::awaitable<std::string> NodeService::Answer(Frame request) {
  const auto start = std::chrono::steady_clock::now();
  const RequestOp op = RequestOpOf(request.type);
  Answered answered = co_await Dispatch(std::move(request));
  request_metrics_.Record(op, OutcomeOf(answered.frame, answered.not_found),
                          std::chrono::steady_clock::now() - start);
  co_return std::move(answered.frame);
}

asio::awaitable<NodeService::Answered> NodeService::Dispatch(Frame request) {
  const uint64_t id = request.request_id;
  spdlog::logger& log = *parts_.logger;
  log.trace("request {} #{}: {} body bytes", wire::MessageTypeName(request.type), id,
            request.body.size());
  switch (request.type) {
    case wire::MessageType::kGetRequest: {
      Result<GetRequest> m = DecodeMessage<GetRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      if (Status s = CheckKey(m->key); !s.ok()) co_return ErrorFrame(id, s);
      Result<GetResponse> got =
          co_await coordinator_->Get(std::move(m->key), m->r, std::move(m->local_zone));
      if (!got.ok()) co_return ErrorFrame(id, got.status());
      co_return Answered(EncodeMessageFrame(*got, id), !got->found);
    }
    case wire::MessageType::kPutRequest:
    case wire::MessageType::kDeleteRequest: {
      ClientWrite write;
      if (request.type == wire::MessageType::kPutRequest) {
        Result<PutRequest> m = DecodeMessage<PutRequest>(request.body);
        if (!m.ok()) co_return ErrorFrame(id, m.status());
        request.body.clear();
        request.body.shrink_to_fit();  // the decoded copy is what stays in flight
        if (Status s = CheckKeyAndValue(m->key, m->value); !s.ok()) co_return ErrorFrame(id, s);
        write = ClientWrite{.key = std::move(m->key),
                            .tombstone = false,
                            .value = std::move(m->value),
                            .context = std::move(m->context),
                            .w = m->w,
                            .forwarded = m->forwarded,
                            .primaries_only = m->primaries_only,
                            .local_zone = std::move(m->local_zone)};
      } else {
        Result<DeleteRequest> m = DecodeMessage<DeleteRequest>(request.body);
        if (!m.ok()) co_return ErrorFrame(id, m.status());
        if (Status s = CheckKey(m->key); !s.ok()) co_return ErrorFrame(id, s);
        write = ClientWrite{.key = std::move(m->key),
                            .tombstone = true,
                            .value = {},
                            .context = std::move(m->context),
                            .w = m->w,
                            .forwarded = m->forwarded,
                            .primaries_only = m->primaries_only,
                            .local_zone = std::move(m->local_zone)};
      }
      const bool is_put = !write.tombstone;
      Status s = co_await coordinator_->Write(std::move(write));
      if (!s.ok()) {
        if (s.code() == ErrorCode::kIOError || s.code() == ErrorCode::kCorruption)
          log.error("{} failed: {}", is_put ? "put" : "delete", s.ToString());
        co_return ErrorFrame(id, s);
      }
      if (is_put) co_return EncodeMessageFrame(PutResponse{}, id);
      co_return EncodeMessageFrame(DeleteResponse{}, id);
    }
    case wire::MessageType::kReplicaReadRequest: {
      Result<ReplicaReadRequest> m = DecodeMessage<ReplicaReadRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      if (Status s = CheckKey(m->key); !s.ok()) co_return ErrorFrame(id, s);
      // Inline on the I/O thread, as a get always was: Engine::Get never waits for a sync.
      Result<SiblingSet> set = store_->Read(m->key);
      if (!set.ok()) {
        log.error("replica read failed: {}", set.status().ToString());
        co_return ErrorFrame(id, set.status());
      }
      ReplicaReadResponse response;
      if (!set->empty()) response.siblings = set->Encode();
      co_return EncodeMessageFrame(response, id);
    }
    case wire::MessageType::kReplicaWriteRequest: {
      Result<ReplicaWriteRequest> m = DecodeMessage<ReplicaWriteRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      request.body.clear();
      request.body.shrink_to_fit();
      Status applied = co_await ApplyReplicaWrite(std::move(*m));
      if (!applied.ok()) co_return ErrorFrame(id, applied);
      co_return EncodeMessageFrame(ReplicaWriteResponse{}, id);
    }
    case wire::MessageType::kReplicaWriteBatchRequest: {
      Result<ReplicaWriteBatchRequest> m = DecodeMessage<ReplicaWriteBatchRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      if (m->writes.empty())
        co_return ErrorFrame(id, Status::Protocol("a replica write batch with no writes"));
      request.body.clear();
      request.body.shrink_to_fit();
      std::string answer = co_await AnswerReplicaWriteBatch(id, std::move(*m));
      co_return Answered(std::move(answer));
    }
    case wire::MessageType::kGossipSyn: {
      Result<GossipSyn> m = DecodeMessage<GossipSyn>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      Result<GossipAck> ack = gossiper_->HandleSyn(m->payload);
      if (!ack.ok()) co_return ErrorFrame(id, ack.status());
      co_return EncodeMessageFrame(*ack, id);
    }
    case wire::MessageType::kGossipAck2: {
      Result<GossipAck2> m = DecodeMessage<GossipAck2>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      if (Status s = gossiper_->HandleAck2(m->payload); !s.ok()) co_return ErrorFrame(id, s);
      co_return EncodeMessageFrame(GossipDone{}, id);
    }
    case wire::MessageType::kRingRequest: {
      Result<RingRequest> m = DecodeMessage<RingRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      RingResponse ring = gossiper_->Describe(m->key, quorum_);
      const std::map<std::string, HintBacklog> pending = hints_->PendingCounts();
      for (RingNodeInfo& n : ring.nodes)
        if (auto it = pending.find(n.id); it != pending.end()) n.hints_pending = it->second.hints;
      co_return EncodeMessageFrame(ring, id);
    }
    case wire::MessageType::kMerkleLevelRequest: {
      Result<MerkleLevelRequest> m = DecodeMessage<MerkleLevelRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      AntiEntropy* ae = anti_entropy_.get();
      auto answer = [ae, m = std::move(*m)] { return ae->AnswerLevel(m); };
      Result<MerkleLevelResponse> level =
          co_await RunOnPool(*parts_.engine_pool, std::move(answer));
      if (!level.ok()) co_return ErrorFrame(id, level.status());
      co_return EncodeMessageFrame(*level, id);
    }
    case wire::MessageType::kLeafKeysRequest: {
      Result<LeafKeysRequest> m = DecodeMessage<LeafKeysRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      AntiEntropy* ae = anti_entropy_.get();
      auto answer = [ae, m = std::move(*m)] { return ae->AnswerLeafKeys(m); };
      Result<LeafKeysResponse> keys = co_await RunOnPool(*parts_.engine_pool, std::move(answer));
      if (!keys.ok()) co_return ErrorFrame(id, keys.status());
      co_return EncodeMessageFrame(*keys, id);
    }
    case wire::MessageType::kRepairRequest: {
      Result<RepairRequest> m = DecodeMessage<RepairRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      if (Status may = CheckMayRepair(); !may.ok()) co_return ErrorFrame(id, may);
      if (m->list_ranges) {
        RepairResponse listed;
        for (const TokenRange& r : anti_entropy_->Ranges())
          listed.ranges.push_back(RepairRange{.start = r.start, .end = r.end});
        co_return EncodeMessageFrame(listed, id);
      }
      const TokenRange range{m->range_start, m->range_end};
      RepairResponse figures = co_await anti_entropy_->RepairRange(range);
      log.info(
          "repair of range ({:#x}, {:#x}]: {} keys compared, {} repaired, {} bytes, {} of {} "
          "replicas unreachable{}",
          range.start, range.end, figures.keys_compared, figures.keys_repaired,
          figures.bytes_exchanged, figures.replicas_unreachable, figures.replicas,
          figures.problems.empty() ? "" : ": " + figures.problems);
      co_return EncodeMessageFrame(figures, id);
    }
    case wire::MessageType::kLeaveRequest: {
      Result<LeaveRequest> m = DecodeMessage<LeaveRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      if (!m->status_only) {
        const NodeStatus status = gossiper_->self_status();
        if (status == NodeStatus::kJoining)
          co_return ErrorFrame(
              id, Status::InvalidArgument("this node is still joining; wait until kvring shows it "
                                          "normal, or stop it"));
        if (status == NodeStatus::kNormal)
          if (Status s = CheckLeaveKeepsN(); !s.ok()) co_return ErrorFrame(id, s);
      }
      co_return EncodeMessageFrame(AnswerLeave(*m), id);
    }
    case wire::MessageType::kRemoveRequest: {
      Result<RemoveRequest> m = DecodeMessage<RemoveRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      Result<RemoveResponse> answer = AnswerRemove(*m);
      if (!answer.ok()) co_return ErrorFrame(id, answer.status());
      co_return EncodeMessageFrame(*answer, id);
    }
    case wire::MessageType::kCleanupRequest: {
      Result<CleanupRequest> m = DecodeMessage<CleanupRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      Result<CleanupResponse> answer = AnswerCleanup(*m);
      if (!answer.ok()) co_return ErrorFrame(id, answer.status());
      co_return EncodeMessageFrame(*answer, id);
    }
    case wire::MessageType::kRepairStatusRequest: {
      Result<RepairStatusRequest> m = DecodeMessage<RepairStatusRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      Result<RepairStatusResponse> answer = AnswerRepairStatus();
      if (!answer.ok()) co_return ErrorFrame(id, answer.status());
      co_return EncodeMessageFrame(*answer, id);
    }
    case wire::MessageType::kStatsRequest: {
      Result<StatsRequest> m = DecodeMessage<StatsRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      co_return EncodeMessageFrame(AnswerStats(), id);
    }
    case wire::MessageType::kMetricsRequest: {
      Result<MetricsRequest> m = DecodeMessage<MetricsRequest>(request.body);
      if (!m.ok()) co_return ErrorFrame(id, m.status());
      co_return EncodeMessageFrame(MetricsResponse{.text = MetricsText()}, id);
    }
    default:
      co_return ErrorFrame(id, Status::Protocol(fmt::format("message type {} is not a request",
                                                            wire::MessageTypeName(request.type))));
  }
}

Status NodeService::CheckHintTarget(std::string_view target) const {
  std::shared_ptr<const ClusterView> view = gossiper_->view();
  for (const Ring* ring : {view->ring.get(), view->future.get()}) {
    const std::vector<std::string>& nodes = ring->nodes();  // sorted
    if (std::binary_search(nodes.begin(), nodes.end(), target)) return Status::Ok();
  }
  return Status::InvalidArgument(
      fmt::format("a hint for {:?}, which is not a node of this node's ring; refused", target));
}

asio::awaitable<Status> NodeService::ApplyReplicaWrite(ReplicaWriteRequest m) {
  spdlog::logger& log = *parts_.logger;
  if (Status s = CheckKey(m.key); !s.ok()) co_return s;
  Result<SiblingSet> incoming = SiblingSet::Decode(m.siblings);
  if (!incoming.ok())
    co_return Status::Protocol(
        fmt::format("a replica write carried a bad sibling set: {}", incoming.status().message()));
  if (Status s = store_->CheckIncoming(*incoming); !s.ok()) co_return s;
  if (!m.hinted_for.empty() && m.hinted_for != identity_.id) {
    // A stand-in under a sloppy quorum: keep it for its owner, durably, before acknowledging.
    // Only for a node of the ring (or of the ring it is becoming): a hint for any other could
    // never be handed off, and would only fill the store (issue 13). The quotas bound the rest.
    if (Status s = CheckHintTarget(m.hinted_for); !s.ok()) co_return s;
    HintStore* hints = hints_.get();
    auto add = [hints, m = std::move(m)] {
      return hints->Add(m.hinted_for, m.key, m.siblings, WallMicros());
    };
    Status added = co_await RunOnPool(*parts_.engine_pool, std::move(add));
    if (!added.ok()) log.error("storing a hint failed: {}", added.ToString());
    co_return added;
  }
  Status applied = co_await coordinator_->ApplyReplicaWrite(std::move(m.key), std::move(*incoming));
  if (!applied.ok()) log.error("replica write failed: {}", applied.ToString());
  co_return applied;
}

asio::awaitable<std::string> NodeService::AnswerReplicaWriteBatch(uint64_t id,
                                                                  ReplicaWriteBatchRequest batch) {
  // Each write its own coroutine, so that all of them reach the engine's commit queue before
  // the first one's fsync and share it; the answer waits for the last.
  auto executor = co_await asio::this_coro::executor;
  auto outcomes = std::make_shared<ReplicaWriteBatchResponse>();
  outcomes->outcomes.resize(batch.writes.size());
  auto all_done =
      std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  auto left = std::make_shared<size_t>(batch.writes.size());
  for (size_t i = 0; i < batch.writes.size(); ++i) {
    asio::co_spawn(executor, ApplyReplicaWrite(std::move(batch.writes[i])),
                   [outcomes, all_done, left, i](std::exception_ptr e, Status applied) {
                     outcomes->outcomes[i] =
                         e ? Status::IOError("applying a replica write failed") : applied;
                     if (--*left == 0) all_done->cancel();
                   });
  }
  while (*left > 0) (void)co_await all_done->async_wait(asio::as_tuple(asio::use_awaitable));
  co_return EncodeMessageFrame(*outcomes, id);
}

}  // namespace kv
