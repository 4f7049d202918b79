#include "libkv/replication/coordinator.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <vector>

#include "libkv/async/run_on_pool.h"
#include "libkv/net/replica_messages.h"
#include "libkv/replication/engine_submission.h"
#include "libkv/replication/local_quorum.h"
#include "libkv/versioning/context_token.h"

namespace kv {

namespace asio = boost::asio;

// The answers of one request's replicas, gathered on the request's executor (its shard): every call
// records its outcome here and wakes the waiter, which re-checks what it waits for.
class ReplicaReplies {
 public:
  // Whether a call's success counts toward the quorum. Every call counts but under a local
  // quorum (Coordinator::Write says which count there).
  enum class Counts {
    kYes,
    kOutsideZone,  // a stand-in outside the zone for a replica of the zone: named, not counted
    kOtherZone,    // a copy for another zone's replica: neither counted nor named
  };

  ReplicaReplies(asio::any_io_executor executor, std::vector<std::string> replicas,
                 std::chrono::steady_clock::time_point deadline)
      : replicas_(std::move(replicas)),
        outcomes_(replicas_.size()),
        deadline_(deadline),
        wake_(executor, deadline),
        wake_any_(executor, std::chrono::steady_clock::time_point::max()) {}

  const std::vector<std::string>& replicas() const { return replicas_; }
  size_t ok() const { return ok_; }
  bool all_done() const { return done_ == replicas_.size(); }
  // REQUIRES: the replica's call is done.
  const Result<SiblingSet>& outcome(size_t i) const { return *outcomes_[i]; }
  bool done(size_t i) const { return outcomes_[i].has_value(); }

  void Record(size_t i, Result<SiblingSet> outcome) {
    if (outcome.ok() && CountsToward(i)) ++ok_;
    outcomes_[i] = std::move(outcome);
    ++done_;
    wake_.cancel();
    wake_any_.cancel();
    if (all_done() && on_all_done_) std::exchange(on_all_done_, nullptr)();
  }

  // Runs once every call is done (every call ends, by its timeout at the latest).
  void OnAllDone(std::function<void()> f) { on_all_done_ = std::move(f); }
  // For the shortfall message only: the replica each call stood in for, if any.
  void SetStandIns(std::vector<std::optional<std::string>> hinted_for) {
    hinted_for_ = std::move(hinted_for);
  }

  // Makes the request's quorum the local quorum of `zone`, whose key has `zone_replicas`
  // replicas there (pending ones included): only the calls marked kYes count (none marked: all).
  // REQUIRES: no call recorded yet.
  void SetLocal(std::string zone, size_t zone_replicas, std::vector<Counts> counts = {}) {
    zone_ = std::move(zone);
    zone_replicas_ = zone_replicas;
    counts_ = std::move(counts);
  }

  // Returns when `enough()` holds, every call is done, or the deadline has passed.
  template <class Pred>
  asio::awaitable<void> WaitUntil(Pred enough) {
    while (!enough() && !all_done() && std::chrono::steady_clock::now() < deadline_)
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  // Returns when call i is done, deadline or not.
  asio::awaitable<void> WaitDone(size_t i) {
    while (!done(i)) co_await wake_any_.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  // The union of every successful answer so far.
  SiblingSet Merged() const {
    SiblingSet merged;
    for (const auto& o : outcomes_)
      if (o && o->ok()) merged.Merge(**o);
    return merged;
  }

  // "2 of 3 replicas answered (R=2): b timed out; c: connection refused", or under a local
  // quorum "local quorum of zone b not met for the read: 1 of 2 replicas in zone b answered (2
  // needed); ...", and whether any failure was a timeout (then the caller reports Timeout, else
  // Unavailable).
  Status Shortfall(std::string_view what, std::string_view quorum_name, uint32_t quorum,
                   std::string_view consequence) const {
    bool any_timeout = false;
    std::string why;
    const std::string_view verb = what == "read" ? "answered" : "acknowledged";
    for (size_t i = 0; i < replicas_.size(); ++i) {
      const Counts counts = i < counts_.size() ? counts_[i] : Counts::kYes;
      if (counts == Counts::kOtherZone) continue;
      const bool ok = outcomes_[i] && outcomes_[i]->ok();
      if (ok && counts == Counts::kYes) continue;
      if (!why.empty()) why += "; ";
      std::string name = replicas_[i];
      if (i < hinted_for_.size() && hinted_for_[i])
        name = fmt::format("{} (for {})", replicas_[i], *hinted_for_[i]);
      if (ok) {
        why +=
            fmt::format("{}: {} but is outside zone {}, so it does not count", name, verb, zone_);
      } else if (!outcomes_[i]) {
        any_timeout = true;
        why += fmt::format("{}: no answer in time", name);
      } else {
        any_timeout |= outcomes_[i]->status().code() == ErrorCode::kTimeout;
        why += fmt::format("{}: {}", name, outcomes_[i]->status().message());
      }
    }
    std::string message =
        zone_.empty()
            ? fmt::format("{} quorum not met: {} of {} replicas {} ({}={}){}; {}", what, ok_,
                          replicas_.size(), verb, quorum_name, quorum, consequence, why)
            : fmt::format(
                  "{} not met for the {}: {} of {} replicas in zone {} {} ({} needed){}; {}",
                  quorum_name, what, ok_, zone_replicas_, zone_, verb, quorum, consequence, why);
    return any_timeout ? Status::Timeout(std::move(message))
                       : Status::Unavailable(std::move(message));
  }

 private:
  bool CountsToward(size_t i) const { return i >= counts_.size() || counts_[i] == Counts::kYes; }

  std::vector<std::string> replicas_;
  std::vector<std::optional<Result<SiblingSet>>> outcomes_;
  std::vector<std::optional<std::string>> hinted_for_;
  std::string zone_;  // a local quorum's zone; empty: every replica counts
  size_t zone_replicas_ = 0;
  std::vector<Counts> counts_;  // per call; empty: every call counts
  std::function<void()> on_all_done_;
  size_t ok_ = 0;
  size_t done_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  asio::steady_timer wake_;
  asio::steady_timer wake_any_;  // no deadline: for WaitDone
};

namespace {

// InvalidArgument unless 1 <= q <= n; 0 picks the default.
Result<uint32_t> QuorumFor(uint32_t asked, uint32_t fallback, uint32_t n, std::string_view flag) {
  const uint32_t q = asked == 0 ? fallback : asked;
  if (q < 1 || q > n)
    return Status::InvalidArgument(
        fmt::format("{} {} is outside 1..{} (the cluster's replication factor N)", flag, q, n));
  return q;
}

// A request for a local quorum asks no count of replicas besides.
Status CheckLocalAsk(uint32_t asked, std::string_view flag, std::string_view zone) {
  if (asked == 0) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "{} {} and a local quorum of zone {} were both asked: a local quorum is a majority of the "
      "key's replicas in the zone, give one or the other",
      flag, asked, zone));
}

Result<SiblingSet> DecodeReplicaSet(std::string_view bytes) {
  if (bytes.empty()) return SiblingSet();
  return SiblingSet::Decode(bytes);
}

}  // namespace

asio::awaitable<Result<GetResponse>> Coordinator::Get(std::string key, uint32_t r,
                                                      std::string local_zone) {
  if (!local_zone.empty())
    if (Status both = CheckLocalAsk(r, "--r", local_zone); !both.ok()) co_return both;
  Result<uint32_t> quorum = QuorumFor(r, options_.quorum.r, options_.quorum.n, "--r");
  if (!quorum.ok()) co_return quorum.status();
  std::shared_ptr<const ClusterView> view = s_.view();
  std::vector<std::string> replicas = view->ring->PreferenceList(key, options_.quorum.n);
  if (replicas.empty()) co_return Status::Unavailable("the ring has no nodes yet");
  uint32_t need = std::min<uint32_t>(*quorum, static_cast<uint32_t>(replicas.size()));
  std::optional<LocalQuorum> zone_quorum;
  if (!local_zone.empty()) {
    Result<LocalQuorum> asked = LocalQuorumFor(*view, replicas, local_zone);
    if (!asked.ok()) co_return asked.status();
    zone_quorum = std::move(*asked);
    need = zone_quorum->need;
    // A local read asks the zone's replicas only (as Cassandra's LOCAL_QUORUM does): it neither
    // waits on nor crosses to another zone, and its read repair stays in the zone too.
    std::erase_if(replicas, [&](const std::string& node) {
      return !NodeInZone(*view, node, zone_quorum->zone);
    });
  }

  auto executor = co_await asio::this_coro::executor;
  auto gather = std::make_shared<ReplicaReplies>(
      executor, replicas, std::chrono::steady_clock::now() + options_.timeout);
  if (zone_quorum) gather->SetLocal(zone_quorum->zone, zone_quorum->replicas_in_zone);
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i] == view->self) {
      gather->Record(i, s_.store->Read(key));
      continue;
    }
    std::string address(view->AddressOf(replicas[i]));
    asio::co_spawn(
        executor,
        [this, gather, i, address, key]() -> asio::awaitable<void> {
          // Arguments named, not temporaries inside co_await: g++ 12 mis-destroys those.
          std::string body = EncodeMessage(ReplicaReadRequest{.key = key});
          Result<Frame> answer = co_await s_.transport->Call(
              address, wire::MessageType::kReplicaReadRequest, std::move(body), options_.timeout);
          if (!answer.ok()) co_return gather->Record(i, answer.status());
          Result<ReplicaReadResponse> m = DecodeMessage<ReplicaReadResponse>(answer->body);
          if (!m.ok()) co_return gather->Record(i, m.status());
          gather->Record(i, DecodeReplicaSet(m->siblings));
        },
        asio::detached);
  }
  co_await gather->WaitUntil([&] { return gather->ok() >= need; });
  if (gather->ok() < need) {
    Count(counters_.read_quorum_failures);
    Status shortfall = gather->Shortfall("read", zone_quorum ? zone_quorum->Name() : "R", need, "");
    co_return shortfall;
  }

  SiblingSet merged = gather->Merged();
  GetResponse response;
  response.found = !merged.empty() && !merged.AllTombstones();
  if (!merged.empty()) response.siblings = merged.Encode();
  response.context = EncodeContextToken(merged.Context());

  // Read repair, off the client's path: once every replica has answered or timed out, each one
  // that returned less than the union of all answers gets that union. Nothing to wait for when
  // all have answered already, alike (a single replica, or all at once): the usual case.
  if (gather->all_done()) {
    bool stale = false;
    for (size_t i = 0; i < gather->replicas().size() && !stale; ++i)
      stale = gather->outcome(i).ok() && *gather->outcome(i) != merged;
    if (!stale) co_return response;
  }
  asio::co_spawn(
      executor,
      [this, gather, view, key]() -> asio::awaitable<void> {
        co_await gather->WaitUntil([] { return false; });
        const SiblingSet all = gather->Merged();
        if (all.empty()) co_return;
        std::string encoded;
        for (size_t i = 0; i < gather->replicas().size(); ++i) {
          if (!gather->done(i) || !gather->outcome(i).ok() || *gather->outcome(i) == all) continue;
          const std::string& replica = gather->replicas()[i];
          s_.logger->debug("read repair of '{}' on {}", key, replica);
          Count(counters_.read_repairs);
          if (replica == view->self) {
            SiblingSet copy = all;
            (void)co_await MergeLocal(key, std::move(copy));
            continue;
          }
          if (encoded.empty()) encoded = all.Encode();
          std::string address(view->AddressOf(replica));
          std::string body = EncodeMessage(ReplicaWriteRequest{.key = key, .siblings = encoded});
          Result<Frame> answer = co_await s_.transport->Call(
              std::move(address), wire::MessageType::kReplicaWriteRequest, std::move(body),
              options_.timeout);
          if (!answer.ok())
            s_.logger->debug("read repair of '{}' on {} failed: {}", key, replica,
                             answer.status().ToString());
        }
      },
      asio::detached);
  co_return response;
}

asio::awaitable<Status> Coordinator::Write(ClientWrite write) {
  if (!write.local_zone.empty())
    if (Status both = CheckLocalAsk(write.w, "--w", write.local_zone); !both.ok()) co_return both;
  Result<uint32_t> quorum = QuorumFor(write.w, options_.quorum.w, options_.quorum.n, "--w");
  if (!quorum.ok()) co_return quorum.status();
  std::shared_ptr<const ClusterView> view = s_.view();
  std::vector<std::string> replicas = view->ring->PreferenceList(write.key, options_.quorum.n);
  if (replicas.empty()) co_return Status::Unavailable("the ring has no nodes yet");
  uint32_t need = std::min<uint32_t>(*quorum, static_cast<uint32_t>(replicas.size()));
  // Refused here, before anything is stored or forwarded, when the zone or the key's replicas
  // there cannot make the local quorum (a forwarding node and its replica both check).
  std::optional<LocalQuorum> zone_quorum;
  if (!write.local_zone.empty()) {
    Result<LocalQuorum> asked = LocalQuorumFor(*view, replicas, write.local_zone);
    if (!asked.ok()) co_return asked.status();
    zone_quorum = std::move(*asked);
    need = zone_quorum->need;
  }

  const bool is_replica = std::find(replicas.begin(), replicas.end(), view->self) != replicas.end();
  // A forwarded write is coordinated here even when this node's ring disagrees (membership is
  // changing): forwarding again could loop.
  if (!is_replica && !write.forwarded) {
    Count(counters_.forwarded_writes);
    Status forwarded = co_await Forward(write, replicas, *view);
    co_return forwarded;
  }

  // A joining or leaving node's new owners (the key's pending replicas) get the write too, and
  // must acknowledge it on top of W (Cassandra's rule), so the future ring holds W copies of every
  // acknowledged write however the streaming of older ones goes. A pending copy that misses gets
  // a hint like any other.
  const std::vector<std::string> pending = view->PendingReplicas(write.key, options_.quorum.n);
  auto is_pending = [&](const std::string& node) {
    return std::find(pending.begin(), pending.end(), node) != pending.end();
  };
  // Where the set goes: the key's replicas, or under a sloppy quorum the first N healthy nodes,
  // each stand-in knowing whom it holds a hint for; then the pending replicas.
  std::vector<ReplicaTarget> targets;
  if (options_.sloppy_quorum && !write.primaries_only)
    targets = view->ring->SloppyPreferenceList(write.key, options_.quorum.n, s_.is_up);
  // A pending node must keep the write as its own, not as a hint for another: it is no stand-in
  // (the replica it would have stood in for is then tried directly, and hinted if it misses).
  std::erase_if(targets,
                [&](const ReplicaTarget& t) { return t.hinted_for && is_pending(t.node); });
  // A replica with no stand-in (too few healthy nodes, or no sloppy quorum) is still tried: the
  // detector may be wrong, and the shortfall message then counts it.
  for (const std::string& r : replicas) {
    const bool covered = std::any_of(targets.begin(), targets.end(), [&](const ReplicaTarget& t) {
      return t.node == r || t.hinted_for == r;
    });
    if (!covered) targets.push_back(ReplicaTarget{r, std::nullopt});
  }
  for (const std::string& p : pending) targets.push_back(ReplicaTarget{p, std::nullopt});
  uint32_t need_with_pending = need + static_cast<uint32_t>(pending.size());
  std::vector<std::string> names;
  std::vector<std::optional<std::string>> stand_ins;
  for (const ReplicaTarget& t : targets) {
    names.push_back(t.node);
    stand_ins.push_back(t.hinted_for);
  }
  // Under a local quorum the write still goes to every replica (each zone keeps its copies), but
  // only copies of the zone's replicas held in the zone count: the replica itself, a pending
  // replica of the zone, or a stand-in of the zone for a replica of the zone. A stand-in in
  // another zone does not count although it stands in for one of the zone's replicas: a local
  // quorum promises copies in the zone without waiting on another zone, and a copy kept
  // elsewhere is neither (it would let the write succeed with the zone's majority down, while a
  // local read there misses it). Nor does a node of the zone standing in for another zone's
  // replica: it holds no copy of the zone's replicas, whose majority the local read asks.
  std::vector<ReplicaReplies::Counts> counts;
  uint32_t pending_in_zone = 0;
  if (zone_quorum) {
    for (const ReplicaTarget& t : targets) {
      const std::string& owner = t.hinted_for.value_or(t.node);
      if (!NodeInZone(*view, owner, zone_quorum->zone))
        counts.push_back(ReplicaReplies::Counts::kOtherZone);
      else if (!NodeInZone(*view, t.node, zone_quorum->zone))
        counts.push_back(ReplicaReplies::Counts::kOutsideZone);
      else
        counts.push_back(ReplicaReplies::Counts::kYes);
    }
    for (const std::string& p : pending)
      if (NodeInZone(*view, p, zone_quorum->zone)) ++pending_in_zone;
    need_with_pending = need + pending_in_zone;
  }

  Result<SiblingWrite> sibling_write = SiblingWriteFor(write);
  if (!sibling_write.ok()) co_return sibling_write.status();
  auto executor = co_await asio::this_coro::executor;
  auto gather = std::make_shared<ReplicaReplies>(
      executor, std::move(names), std::chrono::steady_clock::now() + options_.timeout);
  gather->SetStandIns(std::move(stand_ins));
  if (zone_quorum)
    gather->SetLocal(zone_quorum->zone, zone_quorum->replicas_in_zone + pending_in_zone, counts);
  // This node's copy: its merge decides the set the others get, and they get it while this
  // node's fsync runs (the dot it issued is reserved durably, so a crash before that fsync never
  // lets it be issued again: DotReservation). Its own acknowledgement still waits for the fsync,
  // and the client's for that acknowledgement.
  std::optional<size_t> self_slot;
  for (size_t i = 0; i < targets.size(); ++i)
    if (targets[i].node == view->self) self_slot = i;
  // A forwarded write coordinated here although this node's ring names it no target: its copy
  // counts toward no quorum, but the client still waits for it to be durable.
  auto local =
      self_slot ? gather
                : std::make_shared<ReplicaReplies>(executor, std::vector<std::string>{view->self},
                                                   std::chrono::steady_clock::time_point::max());
  const size_t local_slot = self_slot.value_or(0);
  std::string encoded;
  // Named, not temporaries inside co_await: g++ 12 mis-destroys those.
  std::function<void(Status)> record_local = [local, local_slot](Status done) {
    local->Record(local_slot, done.ok() ? Result<SiblingSet>(SiblingSet()) : done);
  };
  Status decided =
      co_await DecideLocal(write.key, std::move(*sibling_write), &encoded, std::move(record_local));
  if (!decided.ok()) co_return decided;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (self_slot == i) continue;
    ReplicaWriteRequest request{
        .key = write.key, .siblings = encoded, .hinted_for = targets[i].hinted_for.value_or("")};
    replica_writes_.Send(
        executor, std::string(view->AddressOf(targets[i].node)), std::move(request),
        [gather, i](Status landed) {
          gather->Record(i, landed.ok() ? Result<SiblingSet>(SiblingSet()) : std::move(landed));
        });
  }
  if (s_.hints && options_.sloppy_quorum) {
    // Once every copy has landed or failed, the owner of each that failed gets a hint kept here
    // (nothing is spawned or copied when all landed, the usual case).
    auto set = std::make_shared<const std::string>(std::move(encoded));
    gather->OnAllDone([this, replies = gather.get(), targets = std::move(targets), executor,
                       self = view->self, key = write.key, set] {
      std::vector<std::string> missed;
      for (size_t i = 0; i < targets.size(); ++i) {
        const std::string& owner = targets[i].hinted_for.value_or(targets[i].node);
        if (owner != self && !replies->outcome(i).ok()) missed.push_back(owner);
      }
      if (!missed.empty())
        asio::co_spawn(executor, HintMissedCopies(std::move(missed), key, set), asio::detached);
    });
  }
  co_await gather->WaitUntil([&] { return gather->ok() >= need_with_pending; });
  // Never acknowledged before this node's own copy is durable, quorum or not.
  co_await local->WaitDone(local_slot);
  // The others were sent the set already: the write's outcome is unknown, whatever the local
  // failure was (an fsync error also stops this node's writes: it says so).
  if (const Status& failed = local->outcome(local_slot).status(); !failed.ok()) {
    Count(counters_.maybe_applied);
    co_return Status::MaybeApplied(fmt::format(
        "storing the write on its coordinator failed ({}); the other replicas were sent it and "
        "may have applied it",
        failed.ToString()));
  }
  if (gather->ok() >= need_with_pending) co_return Status::Ok();
  Count(counters_.write_quorum_failures);
  Count(counters_.maybe_applied);
  std::string quorum_name = pending.empty() ? "W" : "W+pending";
  if (zone_quorum)
    quorum_name = pending_in_zone == 0 ? zone_quorum->Name()
                                       : zone_quorum->Name() + " (with its pending replicas there)";
  Status shortfall = gather->Shortfall(
      "write", quorum_name, need_with_pending,
      is_replica ? "; the write is stored on this node and may still reach the others, so it "
                   "may have been applied"
                 : "; the write may have been applied");
  // Stored here, it spreads by read repair, hints and anti-entropy whatever the others did: its
  // outcome is unknown, not failed, and a forwarding node must not try another replica.
  co_return Status::MaybeApplied(shortfall.message());
}

CoordinatorCounts Coordinator::counts() const {
  auto load = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return CoordinatorCounts{.read_quorum_failures = load(counters_.read_quorum_failures),
                           .write_quorum_failures = load(counters_.write_quorum_failures),
                           .maybe_applied = load(counters_.maybe_applied),
                           .read_repairs = load(counters_.read_repairs),
                           .forwarded_writes = load(counters_.forwarded_writes)};
}

asio::awaitable<void> Coordinator::HintMissedCopies(std::vector<std::string> owners,
                                                    std::string key,
                                                    std::shared_ptr<const std::string> siblings) {
  for (const std::string& owner : owners) {
    HintStore* hints = s_.hints;
    const uint64_t now = s_.wall_micros();
    auto add = [hints, owner, key, siblings, now] {
      return hints->Add(owner, key, *siblings, now);
    };
    Status added = co_await RunOnPool(*s_.engine_pool, std::move(add));
    if (!added.ok())
      s_.logger->warn("could not keep a hint of '{}' for {}: {}", key, owner, added.ToString());
  }
}

asio::awaitable<Result<SiblingSet>> Coordinator::MergeLocal(std::string key, SiblingSet incoming) {
  SiblingSet merged;
  Status s = co_await MergeLocalInto(std::move(key), std::move(incoming), &merged);
  if (!s.ok()) co_return s;
  co_return merged;
}

asio::awaitable<Status> Coordinator::ApplyReplicaWrite(std::string key, SiblingSet incoming) {
  Status s = co_await MergeLocalInto(std::move(key), std::move(incoming), nullptr);
  co_return s;
}

asio::awaitable<Status> Coordinator::MergeLocalInto(std::string key, SiblingSet incoming,
                                                    SiblingSet* merged) {
  OwnedWrite update{.kind = EngineWrite::Kind::kUpdate,
                    .key = key,
                    .value = {},
                    .merge = s_.store->MergeRule(key, std::move(incoming), merged)};
  Status s = co_await WriteAndWait(s_.store->engine(), std::move(update));
  co_return s;
}

Result<SiblingWrite> Coordinator::SiblingWriteFor(const ClientWrite& write) const {
  SiblingWrite sibling_write;
  if (!write.context.empty()) {
    Result<VectorClock> context = DecodeContextToken(write.context);
    if (!context.ok())
      return Status::InvalidArgument(fmt::format(
          "the context token is not one a get returned ({}); pass the token kvget printed",
          context.status().message()));
    KV_RETURN_IF_ERROR(s_.store->CheckContext(*context));
    sibling_write.context = std::move(*context);
  }
  sibling_write.tombstone = write.tombstone;
  sibling_write.value = write.value;
  sibling_write.now_micros = s_.wall_micros();
  return sibling_write;
}

asio::awaitable<Status> Coordinator::DecideLocal(std::string_view key, SiblingWrite write,
                                                 std::string* encoded,
                                                 std::function<void(Status)> on_done) {
  EngineWrite::MergeFn rule =
      s_.store->CoordinateRule(std::string(key), std::move(write), nullptr, encoded);
  auto initiation = [this, key, &rule](auto handler, std::function<void(Status)> done) {
    // Resumed once: by the decision, or by the end of a write that was never decided (refused,
    // or its merge failed). Both callbacks run on the request's executor, decision first.
    using Handler = decltype(handler);
    auto waiting = std::make_shared<std::optional<Handler>>(std::move(handler));
    auto resume = [waiting](Status s) {
      if (!*waiting) return;
      Handler h = std::move(**waiting);
      waiting->reset();
      std::move(h)(std::move(s));
    };
    auto executor = asio::get_associated_executor(**waiting);
    SubmitWrite(
        s_.store->engine(), executor,
        OwnedWrite{.kind = EngineWrite::Kind::kUpdate,
                   .key = std::string(key),
                   .value = {},
                   .merge = std::move(rule)},
        [resume] { resume(Status::Ok()); },
        [resume, done = std::move(done)](Status s) {
          resume(s);
          done(std::move(s));
        });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Status)>(
      std::move(initiation), asio::use_awaitable, std::move(on_done));
}

asio::awaitable<Status> Coordinator::Forward(const ClientWrite& write,
                                             const std::vector<std::string>& replicas,
                                             const ClusterView& view) {
  // Up replicas first, in ring order; a down one is still tried last, since gossip may lag. Under
  // a local quorum the zone's replicas come first of each: coordinated in the zone, the write
  // waits on no other zone for its quorum.
  std::vector<std::string> order;
  auto first = [&](const std::string& r) {
    return write.local_zone.empty() || NodeInZone(view, r, write.local_zone);
  };
  for (bool up : {true, false})
    for (bool in_first : {true, false})
      for (const std::string& r : replicas)
        if (s_.is_up(r) == up && first(r) == in_first &&
            std::find(order.begin(), order.end(), r) == order.end())
          order.push_back(r);

  std::string body;
  wire::MessageType type;
  if (write.tombstone) {
    type = wire::MessageType::kDeleteRequest;
    body = EncodeMessage(DeleteRequest{.key = write.key,
                                       .context = write.context,
                                       .w = write.w,
                                       .forwarded = true,
                                       .primaries_only = write.primaries_only,
                                       .local_zone = write.local_zone});
  } else {
    type = wire::MessageType::kPutRequest;
    body = EncodeMessage(PutRequest{.key = write.key,
                                    .value = write.value,
                                    .context = write.context,
                                    .w = write.w,
                                    .forwarded = true,
                                    .primaries_only = write.primaries_only,
                                    .local_zone = write.local_zone});
  }
  std::string failures;
  for (const std::string& replica : order) {
    // The replica waits up to its own timeout for its quorum; allow for that and the hop.
    std::string address(view.AddressOf(replica));
    std::string request = body;
    Result<Frame> answer = co_await s_.transport->Call(std::move(address), type, std::move(request),
                                                       2 * options_.timeout);
    if (answer.ok()) co_return Status::Ok();
    // Only a request that never left (Unavailable: transport.h) is safe to send to another
    // replica, which would issue the write a second dot. Anything else may have been applied (a
    // timeout, a connection lost after sending) or is the replica's own answer, which the client
    // gets with its code (a quorum shortfall is MaybeApplied, a bad request InvalidArgument).
    if (!answer.status().Is(ErrorCode::kUnavailable)) co_return answer.status();
    if (!failures.empty()) failures += "; ";
    failures += fmt::format("{}: {}", replica, answer.status().message());
  }
  co_return Status::Unavailable(
      fmt::format("no replica of the key could take the write (this node is not one of its {}): {}",
                  replicas.size(), failures));
}

}  // namespace kv
