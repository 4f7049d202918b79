// SimCluster: a whole kv cluster in this process — one NodeService per node (the code kvnode
// runs), each over its own engine in memory, talking over a SimNetwork with faults — and a client
// that sends requests to any node through the same network. The nodes learn each other by real
// gossip (a short interval) before the constructor returns.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "libkv/env/env.h"
#include "libkv/membership/gossip_messages.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/messages.h"
#include "libkv/net/sim_network.h"
#include "libkv/node/node_service.h"
#include "libkv/replication/hint_store.h"
#include "libkv/storage/engine.h"
#include "libkv/versioning/context_token.h"
#include "libkv/versioning/sibling_set.h"

namespace kv {

struct SimClusterOptions {
  static SimClusterOptions Nodes(int n) {
    SimClusterOptions o;
    o.nodes = n;
    return o;
  }
  int nodes = 3;
  QuorumSettings quorum;
  int vnodes = 64;
  // Generous: sanitizer builds on a loaded 2-core machine answer slowly, and only the partition
  // test waits for a timeout.
  std::chrono::milliseconds request_timeout{1000};
  uint64_t seed = 1;
  bool hinted_handoff = true;
  std::chrono::seconds hint_window{3600};
  uint64_t hint_quota_per_node = kDefaultHintQuotaPerTarget;
  std::chrono::seconds anti_entropy_interval{0};  // off unless a test turns it on
  std::chrono::milliseconds anti_entropy_timeout{60000};
  // A joining or leaving node's wait before it streams: three gossip rounds here.
  std::chrono::milliseconds ring_delay{300};
  std::chrono::seconds tombstone_grace = TombstoneGcOptions().grace;
  // False only for a positive control: purge on the grace period alone.
  bool tombstone_gc_requires_complete_repair = true;
  // Off only for a positive control (TombstoneGcOptions::require_every_replica).
  bool tombstone_gc_requires_every_replica = true;
  // Node id -> its zone (kvnode --zone); a node not named states none.
  std::map<std::string, std::string> zones;
  // kvnode --memory-budget: anti-entropy's session share is a part of it (MemoryBudget).
  size_t memory_budget = kDefaultMemoryBudget;
};

// What a get answered, decoded.
struct SimGet {
  bool found = false;
  SiblingSet siblings;
  std::string context;  // binary token
  std::vector<std::string> Values() const {
    std::vector<std::string> out;
    for (const Version& v : siblings.versions())
      if (!v.tombstone) out.push_back(v.value);
    std::sort(out.begin(), out.end());
    return out;
  }
};

class SimCluster {
 public:
  explicit SimCluster(SimClusterOptions options = {})
      : options_(options),
        network_(options.seed),
        work_(boost::asio::make_work_guard(io_)),
        env_(NewMemEnv()),
        pool_(8),
        logger_(QuietOrStderr()) {
    for (int i = 0; i < options.nodes; ++i) AddNode(fmt::format("n{}", i + 1), options.quorum);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    for (auto& node : nodes_) REQUIRE(node->service->Start(node->strand).ok());
    WaitForConvergence();
  }

  // The node's process dies and starts again on the same data (its engine and hint store are
  // closed and reopened from the in-memory files), as kill -9 and a restart would.
  void Restart(const std::string& id) { StopAndStart(id, std::nullopt); }

  // The node loses its data directory (kill -9, rm -rf DIR, start again): it comes back empty
  // under the same id and address, with a new clock id, since its IDENTITY file went too. Without
  // its MEMBERSHIP file it is a new node and joins (streams before it serves); `keep_membership`
  // writes that file back, so that it returns as a member that lost its data (the case kvrepair
  // restores). `keep_clock_id` writes the old IDENTITY back before the start: that is Riak's
  // KV679 bug (a node reissuing the dots of its earlier life), for positive controls only.
  struct WipeOptions {
    bool keep_membership = false;
    bool keep_clock_id = false;
  };
  void Wipe(const std::string& id, WipeOptions wipe) { StopAndStart(id, wipe); }

  // A new node joins the running cluster through n1 (it starts joining, streams, turns normal);
  // returns at once. `quorum`: the node's own N, R, W, when not the cluster's.
  void Join(const std::string& id, std::optional<QuorumSettings> quorum = std::nullopt) {
    AddNode(id, quorum.value_or(options_.quorum));
    REQUIRE(nodes_.back()->service->Start(nodes_.back()->strand).ok());
  }

  // kvring leave's call: `via` begins leaving (status_only: only how its leave goes).
  Result<LeaveResponse> Leave(const std::string& via, bool status_only = false) {
    KV_ASSIGN_OR_RETURN(Frame answer,
                        Call(via, wire::MessageType::kLeaveRequest,
                             EncodeMessage(LeaveRequest{.status_only = status_only})));
    return DecodeMessage<LeaveResponse>(answer.body);
  }

  // kvring remove's first call: `via` takes `node` out of the ring.
  Result<RemoveResponse> Remove(const std::string& via, const std::string& node,
                                bool force = false) {
    KV_ASSIGN_OR_RETURN(Frame answer,
                        Call(via, wire::MessageType::kRemoveRequest,
                             EncodeMessage(RemoveRequest{.node = node, .force = force})));
    return DecodeMessage<RemoveResponse>(answer.body);
  }

  // kvring stats' call: `via`'s live figures.
  Result<StatsResponse> Stats(const std::string& via) {
    KV_ASSIGN_OR_RETURN(Frame answer,
                        Call(via, wire::MessageType::kStatsRequest, EncodeMessage(StatsRequest{})));
    return DecodeMessage<StatsResponse>(answer.body);
  }

  // kvring metrics' call: `via`'s metrics text (NodeService::MetricsText, through Answer).
  Result<std::string> Metrics(const std::string& via) {
    KV_ASSIGN_OR_RETURN(Frame answer, Call(via, wire::MessageType::kMetricsRequest,
                                           EncodeMessage(MetricsRequest{})));
    KV_ASSIGN_OR_RETURN(MetricsResponse m, DecodeMessage<MetricsResponse>(answer.body));
    return std::move(m.text);
  }

  // kvring cleanup's call: starts a cleanup on `via`, or asks how it goes.
  Result<CleanupResponse> Cleanup(const std::string& via, bool status_only = false) {
    KV_ASSIGN_OR_RETURN(Frame answer,
                        Call(via, wire::MessageType::kCleanupRequest,
                             EncodeMessage(CleanupRequest{.status_only = status_only})));
    return DecodeMessage<CleanupResponse>(answer.body);
  }

  // Whether every one of `observers` sees exactly the nodes `want` (sorted ids) on its ring, with
  // nobody joining or leaving: a membership change has settled.
  bool RingIs(const std::vector<std::string>& observers, const std::vector<std::string>& want) {
    for (const std::string& o : observers) {
      std::shared_ptr<const ClusterView> view = service(o).gossiper().view();
      if (view->ring->nodes() != want || view->changing()) return false;
    }
    return true;
  }

  // Waits until every node's failure detector shows every node up: after a Recover, before a
  // repair (a node repairs only once it has reached the cluster, NodeService::CheckMayRepair).
  void WaitUntilAllUp() {
    REQUIRE(Eventually([&] {
      for (auto& a : nodes_)
        for (auto& b : nodes_)
          if (!a->service->gossiper().IsUp(b->id)) return false;
      return true;
    }));
  }

  // Whether `observer`'s failure detector thinks `target` is up.
  bool SeesUp(const std::string& observer, const std::string& target) {
    return service(observer).gossiper().IsUp(target);
  }

  ~SimCluster() {
    for (auto& node : nodes_) node->service->Stop();
    work_.reset();
    io_.stop();
    for (std::thread& t : threads_) t.join();
    pool_.join();
    // The network holds each node's handler and strand: release them while io_ (whose strands
    // they are) still exists, before the services they call.
    for (auto& node : nodes_) network_.Detach(AddressOf(node->id));
    for (auto& node : nodes_) node->service.reset();
  }

  SimNetwork& network() { return network_; }
  TombstoneGc& tombstone_gc(const std::string& id) { return *Find(id).tombstone_gc; }

  // The nodes' log: silent, or on stderr at debug level when KV_SIM_LOG is set (for debugging).
  static std::shared_ptr<spdlog::logger> QuietOrStderr() {
    if (std::getenv("KV_SIM_LOG") == nullptr)
      return std::make_shared<spdlog::logger>("sim",
                                              std::make_shared<spdlog::sinks::null_sink_mt>());
    auto logger =
        std::make_shared<spdlog::logger>("sim", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_level(spdlog::level::debug);
    return logger;
  }
  static std::string AddressOf(const std::string& id) { return id + ":7000"; }
  NodeService& service(const std::string& id) { return *Find(id).service; }
  Engine& engine(const std::string& id) { return *Find(id).engine; }

  // The node's own sibling set of the key, read from its engine directly.
  SiblingSet StoredAt(const std::string& id, const std::string& key) {
    Result<std::optional<std::string>> raw = engine(id).Get(key);
    REQUIRE(raw.ok());
    if (!raw->has_value()) return SiblingSet();
    Result<SiblingSet> set = SiblingSet::Decode(**raw);
    REQUIRE(set.ok());
    return *set;
  }

  // `local_zone`: the local quorum of that zone instead of w (libkv/replication/local_quorum.h).
  Status Put(const std::string& via, const std::string& key, const std::string& value,
             const std::string& context = {}, uint32_t w = 0, bool primaries_only = false,
             const std::string& local_zone = {}) {
    PutRequest m{.key = key,
                 .value = value,
                 .context = context,
                 .w = w,
                 .forwarded = false,
                 .primaries_only = primaries_only,
                 .local_zone = local_zone};
    Result<Frame> answer = Call(via, wire::MessageType::kPutRequest, EncodeMessage(m));
    return answer.status();
  }
  Status Delete(const std::string& via, const std::string& key, const std::string& context,
                uint32_t w = 0, bool primaries_only = false, const std::string& local_zone = {}) {
    DeleteRequest m{.key = key,
                    .context = context,
                    .w = w,
                    .forwarded = false,
                    .primaries_only = primaries_only,
                    .local_zone = local_zone};
    return Call(via, wire::MessageType::kDeleteRequest, EncodeMessage(m)).status();
  }
  Result<SimGet> Get(const std::string& via, const std::string& key, uint32_t r = 0,
                     const std::string& local_zone = {}) {
    GetRequest m{.key = key, .r = r, .local_zone = local_zone};
    KV_ASSIGN_OR_RETURN(Frame answer, Call(via, wire::MessageType::kGetRequest, EncodeMessage(m)));
    KV_ASSIGN_OR_RETURN(GetResponse response, DecodeMessage<GetResponse>(answer.body));
    SimGet out;
    out.found = response.found;
    out.context = response.context;
    if (!response.siblings.empty()) {
      KV_ASSIGN_OR_RETURN(out.siblings, SiblingSet::Decode(response.siblings));
    }
    return out;
  }

  // kvrepair's calls: the ranges `via` replicates, or a repair of one of them.
  Result<RepairResponse> Repair(const std::string& via, const RepairRequest& request) {
    KV_ASSIGN_OR_RETURN(Frame answer,
                        Call(via, wire::MessageType::kRepairRequest, EncodeMessage(request)));
    return DecodeMessage<RepairResponse>(answer.body);
  }
  // Repairs every range `via` replicates; the summed figures.
  RepairResponse RepairAll(const std::string& via) {
    Result<RepairResponse> listed = Repair(via, RepairRequest{.list_ranges = true});
    REQUIRE(listed.ok());
    RepairResponse total;
    for (const RepairRange& r : listed->ranges) {
      Result<RepairResponse> one =
          Repair(via, RepairRequest{.range_start = r.start, .range_end = r.end});
      REQUIRE(one.ok());
      total.keys_compared += one->keys_compared;
      total.keys_differing += one->keys_differing;
      total.keys_transferred += one->keys_transferred;
      total.keys_repaired += one->keys_repaired;
      total.bytes_exchanged += one->bytes_exchanged;
      total.replicas_unreachable += one->replicas_unreachable;
      if (!one->problems.empty())
        total.problems += (total.problems.empty() ? "" : "; ") + one->problems;
    }
    return total;
  }

  // A gossip ACK2 payload of `count` fake members ("fake0", ...), as an authenticated but hostile
  // (or buggy) peer would send: give it to a node's Gossiper::HandleAck2. `status` and `version`
  // let a later payload change the same fakes (mark them left).
  static std::string FakeMembers(int count, NodeStatus status, uint64_t version,
                                 uint32_t vnodes = 16) {
    GossipAck2Message ack2;
    for (int i = 0; i < count; ++i)
      ack2.states.push_back(NodeState{.id = fmt::format("fake{}", i),
                                      .address = fmt::format("127.0.0.1:{}", 1 + i),
                                      .generation = static_cast<uint64_t>(std::time(nullptr)),
                                      .version = version,
                                      .status = status,
                                      .vnodes = vnodes,
                                      .clock_id = 0,
                                      .settings = {},
                                      .zone = {},
                                      .load = {}});
    return EncodeGossipAck2(ack2);
  }

  // Waits (up to `limit`) until `done()` holds; returns whether it did.
  template <class Pred>
  static bool Eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // One request frame to `via` as a client (or any peer) would send it; the answer, or the error
  // it carried.
  Result<Frame> Call(const std::string& via, wire::MessageType type, std::string body) {
    std::shared_ptr<Transport> client = network_.TransportFor("client:1");
    const std::string address = AddressOf(via);
    // The node's own waits are bounded by the request timeout (twice over for a forwarded write);
    // this only has to catch a node that never answers.
    const auto timeout = options_.request_timeout * 8;
    auto answer = std::make_shared<std::optional<Result<Frame>>>();
    auto call = [client, address, type, body = std::move(body), timeout,
                 answer]() mutable -> boost::asio::awaitable<void> {
      Result<Frame> got = co_await client->Call(address, type, std::move(body), timeout);
      answer->emplace(std::move(got));
    };
    // On a strand, as the transport requires of its callers.
    boost::asio::co_spawn(boost::asio::make_strand(io_), std::move(call), boost::asio::use_future)
        .get();
    return std::move(**answer);
  }

 private:
  struct SimNode {
    std::string id;
    std::unique_ptr<Engine> engine;
    std::shared_ptr<TombstoneGc> tombstone_gc;
    std::shared_ptr<Transport> transport;
    boost::asio::strand<boost::asio::io_context::executor_type> strand;
    std::unique_ptr<NodeService> service;
    QuorumSettings quorum;
  };

  // `wipe`: none for a restart on the same data.
  void StopAndStart(const std::string& id, std::optional<WipeOptions> wipe) {
    SimNode& node = Find(id);
    network_.Crash(AddressOf(id));
    node.service->Stop();
    // Its coroutines still running refer to the service: let them end first (every wait of
    // theirs is bounded by the request timeout). A wiped node forgot its gossip generation and
    // takes the time in seconds: wait over a second, so that the new one is higher.
    std::this_thread::sleep_for(std::max<std::chrono::milliseconds>(
        options_.request_timeout + std::chrono::milliseconds(200),
        std::chrono::milliseconds(wipe ? 1100 : 0)));
    const std::string identity = "/" + id + "/IDENTITY";
    const std::string membership = "/" + id + "/MEMBERSHIP";
    Result<std::string> old_identity = env_->ReadFileToString(identity);
    REQUIRE(old_identity.ok());
    Result<std::string> old_membership = env_->ReadFileToString(membership);
    REQUIRE(old_membership.ok());
    node.service.reset();
    node.engine.reset();
    node.tombstone_gc.reset();
    if (wipe) {
      // The in-memory Env has files only: directories are implied by the paths.
      for (const std::string& dir : {"/" + id, HintDir("/" + id)}) {
        Result<std::vector<std::string>> names = env_->GetChildren(dir);
        REQUIRE(names.ok());
        for (const std::string& name : *names) REQUIRE(env_->RemoveFile(dir + "/" + name).ok());
      }
      if (wipe->keep_clock_id) REQUIRE(env_->WriteFileAtomically(identity, *old_identity).ok());
      if (wipe->keep_membership)
        REQUIRE(env_->WriteFileAtomically(membership, *old_membership).ok());
    }
    OpenNode(node);
    REQUIRE(node.service->Start(node.strand).ok());
    network_.Recover(AddressOf(id));
  }

  void AddNode(const std::string& id, QuorumSettings quorum) {
    auto node = std::make_unique<SimNode>(SimNode{id, nullptr, nullptr,
                                                  network_.TransportFor(AddressOf(id)),
                                                  boost::asio::make_strand(io_), nullptr, quorum});
    OpenNode(*node);
    nodes_.push_back(std::move(node));
  }

  // Opens the node's engine and service over its data in the shared in-memory Env, and attaches
  // it to the network.
  void OpenNode(SimNode& node) {
    const std::string& id = node.id;
    const std::string address = AddressOf(id);
    TombstoneGcOptions gc;
    gc.env = env_.get();
    gc.path = "/" + id + "/REPAIRS";
    gc.grace = options_.tombstone_grace;
    gc.require_complete_repair = options_.tombstone_gc_requires_complete_repair;
    gc.require_every_replica = options_.tombstone_gc_requires_every_replica;
    gc.wall_micros = WallMicros;
    gc.logger = logger_;
    node.tombstone_gc = TombstoneGc::Open(std::move(gc));
    EngineOptions eo;
    eo.env = env_.get();
    eo.dir = "/" + id;
    eo.logger = logger_;
    eo.value_is_obsolete = [gc = node.tombstone_gc](std::string_view key, std::string_view value) {
      return gc->IsObsolete(key, value);
    };
    Result<std::unique_ptr<Engine>> engine = Engine::Open(std::move(eo));
    REQUIRE(engine.ok());
    node.engine = std::move(*engine);
    NodeConfig config;
    config.id = id;
    config.data_dir = "/" + id;
    config.vnodes = options_.vnodes;
    config.quorum = node.quorum;
    config.request_timeout = options_.request_timeout;
    config.gossip_interval = std::chrono::milliseconds(100);
    // Heartbeats every 100 ms: a silence of half a second or so is an outage. Not tighter: a
    // sanitizer build on a loaded 2-core machine must not see live nodes as down.
    config.failure_detector.acceptable_pause_micros = 500'000;
    config.failure_detector.min_std_deviation_micros = 50'000;
    config.failure_detector.bootstrap_interval_micros = 100'000;
    config.failure_detector.max_sample_interval_micros = 1'000'000;
    config.hinted_handoff = options_.hinted_handoff;
    config.hint_window = options_.hint_window;
    config.hint_quota_per_node = options_.hint_quota_per_node;
    config.handoff_interval = std::chrono::milliseconds(50);
    config.anti_entropy_interval = options_.anti_entropy_interval;
    config.anti_entropy_timeout = options_.anti_entropy_timeout;
    config.ring_delay = options_.ring_delay;
    config.memory_budget = options_.memory_budget;
    if (auto zone = options_.zones.find(id); zone != options_.zones.end())
      config.zone = zone->second;
    if (id != "n1") config.seeds = {AddressOf("n1")};
    NodeService::Parts parts{.engine = node.engine.get(),
                             .transport = node.transport.get(),
                             .env = env_.get(),
                             .engine_pool = &pool_,
                             .logger = logger_,
                             .tombstone_gc = node.tombstone_gc};
    Result<std::unique_ptr<NodeService>> service = NodeService::Create(config, address, parts);
    REQUIRE(service.ok());
    node.service = std::move(*service);
    NodeService* raw = node.service.get();
    network_.Attach(
        address, [raw](Frame f) { return raw->Answer(std::move(f)); }, node.strand);
  }

  SimNode& Find(const std::string& id) {
    for (auto& n : nodes_)
      if (n->id == id) return *n;
    FAIL("no node " << id);
    throw 0;
  }

  void WaitForConvergence() {
    const size_t n = nodes_.size();
    // Bounded by the nodes' joins: a ring delay and streaming nothing.
    const bool converged = Eventually(
        [&] {
          for (auto& node : nodes_) {
            if (node->service->gossiper().view()->ring->nodes().size() != n) return false;
            for (auto& other : nodes_)
              if (!node->service->gossiper().IsUp(other->id)) return false;
          }
          return true;
        },
        options_.ring_delay + std::chrono::seconds(10));
    REQUIRE(converged);
  }

  SimClusterOptions options_;
  SimNetwork network_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Env> env_;
  boost::asio::thread_pool pool_;
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<std::thread> threads_;
};

}  // namespace kv
