#include "libkv/membership/gossip_simulation.h"

#include <algorithm>

#include "libkv/membership/gossip_messages.h"

namespace kv {

namespace {

// Virtual time starts here rather than at 0, so no detector ever sees a zero timestamp.
constexpr uint64_t kStartMicros = 1'000'000'000;
// The wall clock at the start of virtual time; a node's first generation is its start time.
constexpr uint64_t kStartWallSeconds = 1'700'000'000;

}  // namespace

GossipTraffic operator-(const GossipTraffic& a, const GossipTraffic& b) {
  return {a.syns - b.syns,           a.acks - b.acks,           a.ack2s - b.ack2s,
          a.syn_bytes - b.syn_bytes, a.ack_bytes - b.ack_bytes, a.ack2_bytes - b.ack2_bytes};
}

GossipSimulation::GossipSimulation(GossipSimulationOptions options)
    : options_(std::move(options)), rng_(options_.seed), now_(kStartMicros) {
  options_.tick_micros = std::max<uint64_t>(options_.tick_micros, 1);
  options_.interval_micros = std::max(options_.interval_micros, options_.tick_micros);
  by_phase_.resize(options_.interval_micros / options_.tick_micros);
  for (size_t i = 0; i < options_.nodes; ++i) AddSimNode(InitialState(i));
  for (size_t i = 0; i < std::min(options_.seeds, options_.nodes); ++i)
    seed_addresses_.push_back(nodes_[i].address);
  if (!options_.start_known) return;
  std::vector<NodeState> everyone;
  for (const SimNode& n : nodes_) everyone.push_back(n.table->self());
  for (SimNode& n : nodes_) (void)n.table->Restore(everyone, WallSeconds());
}

NodeState GossipSimulation::InitialState(size_t i) const {
  NodeState s;
  s.id = "node" + std::to_string(i + 1);
  s.address = "127.0.0.1:" + std::to_string(20000 + i);  // a name only: nothing is connected to
  s.generation = kStartWallSeconds;
  s.vnodes = options_.vnodes;
  s.clock_id = kStartWallSeconds * 4096 + i;
  s.settings = {
      .replicas = 3, .read_quorum = 2, .write_quorum = 2, .partitioner = kPartitionerXxh64};
  return s;
}

size_t GossipSimulation::AddSimNode(NodeState self) {
  const size_t i = nodes_.size();
  SimNode node;
  node.id = self.id;
  node.address = self.address;
  node.table.emplace(std::move(self), options_.detector);
  const size_t slot = rng_() % by_phase_.size();
  node.phase = slot * options_.tick_micros;
  by_phase_[slot].push_back(i);
  by_address_.emplace(node.address, i);
  nodes_.push_back(std::move(node));
  return i;
}

uint64_t GossipSimulation::WallSeconds() const {
  return kStartWallSeconds + (now_ - kStartMicros) / 1'000'000;
}

bool GossipSimulation::Lost() {
  return options_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < options_.loss;
}

void GossipSimulation::Tick() {
  const size_t slot = (now_ % options_.interval_micros) / options_.tick_micros;
  for (size_t i : by_phase_[slot])
    if (nodes_[i].alive) GossipRound(i);
  now_ += options_.tick_micros;
}

void GossipSimulation::RunFor(uint64_t micros) {
  for (uint64_t end = now_ + micros; now_ < end;) Tick();
}

std::optional<uint64_t> GossipSimulation::RunUntil(const std::function<bool()>& done,
                                                   uint64_t limit_micros) {
  for (const uint64_t begin = now_; now_ - begin <= limit_micros; Tick())
    if (done()) return now_ - begin;
  return std::nullopt;
}

void GossipSimulation::GossipRound(size_t i) {
  ++rounds_run_;
  MembershipTable& table = *nodes_[i].table;
  table.BeatHeartbeat(options_.load);
  const std::vector<std::string> targets =
      options_.choose_targets ? options_.choose_targets(table, seed_addresses_, rng_, now_)
                              : table.ChooseGossipTargets(seed_addresses_, rng_, now_);
  // Encoded once for all the round's targets, as the Gossiper does.
  const std::string syn = EncodeGossipSyn(table.MakeSyn());
  for (const std::string& address : targets) {
    auto it = by_address_.find(address);
    if (it != by_address_.end()) Exchange(table, syn, it->second);
  }
}

void GossipSimulation::Exchange(MembershipTable& from, const std::string& syn, size_t target) {
  SimNode& to = nodes_[target];
  if (!to.alive) return;  // the connection is refused: nothing is sent
  ++traffic_.syns;
  traffic_.syn_bytes += syn.size();
  if (Lost()) return;
  Result<GossipSynMessage> syn_message = DecodeGossipSyn(syn);
  if (!syn_message.ok()) return;
  const std::string ack = EncodeGossipAck(to.table->HandleSyn(*syn_message));
  ++traffic_.acks;
  traffic_.ack_bytes += ack.size();
  if (Lost()) return;
  Result<GossipAckMessage> ack_message = DecodeGossipAck(ack);
  if (!ack_message.ok()) return;
  const std::string ack2 =
      EncodeGossipAck2(from.HandleAck(*ack_message, now_, WallSeconds()).reply);
  ++traffic_.ack2s;
  traffic_.ack2_bytes += ack2.size();
  if (Lost()) return;
  Result<GossipAck2Message> ack2_message = DecodeGossipAck2(ack2);
  if (!ack2_message.ok()) return;
  (void)to.table->HandleAck2(*ack2_message, now_, WallSeconds());
}

size_t GossipSimulation::AddNode() {
  const size_t i = AddSimNode(InitialState(nodes_.size()));
  nodes_[i].table->BeatHeartbeat(options_.load);  // its state as it starts: version 1
  return i;
}

void GossipSimulation::Stop(size_t i) {
  nodes_[i].membership_file = nodes_[i].table->EncodeFile();
  nodes_[i].alive = false;
}

void GossipSimulation::Restart(size_t i) {
  SimNode& node = nodes_[i];
  Result<std::vector<NodeState>> known = MembershipTable::DecodeFile(node.membership_file);
  NodeState self = node.table->self();
  self.generation = NextGeneration(WallSeconds(), self.generation);
  self.version = 0;
  node.table.emplace(std::move(self), options_.detector);
  if (known.ok()) (void)node.table->Restore(*known, WallSeconds());
  node.alive = true;
}

size_t GossipSimulation::HoldersOf(size_t i, uint64_t generation, uint64_t version) const {
  size_t count = 0;
  for (size_t j = 0; j < size(); ++j) {
    if (j == i || !nodes_[j].alive) continue;
    const NodeState* s = nodes_[j].table->Find(nodes_[i].id);
    if (s != nullptr && CompareVersions(s->generation, s->version, generation, version) >= 0)
      ++count;
  }
  return count;
}

size_t GossipSimulation::Convicting(size_t i) const {
  size_t count = 0;
  for (size_t j = 0; j < size(); ++j)
    if (j != i && nodes_[j].alive && !nodes_[j].table->IsUp(nodes_[i].id, now_)) ++count;
  return count;
}

bool GossipSimulation::Converged() const {
  for (const SimNode& observer : nodes_) {
    if (!observer.alive) continue;
    if (observer.table->states().size() != size()) return false;
    for (const SimNode& n : nodes_) {
      const NodeState& truth = n.table->self();
      const NodeState* s = observer.table->Find(n.id);
      if (s == nullptr || s->generation != truth.generation || s->address != truth.address ||
          s->status != truth.status || s->vnodes != truth.vnodes)
        return false;
      if (n.alive && !observer.table->IsUp(n.id, now_)) return false;
    }
  }
  return true;
}

size_t GossipSimulation::FalseDowns() const {
  size_t count = 0;
  for (const SimNode& observer : nodes_) {
    if (!observer.alive) continue;
    for (const SimNode& n : nodes_)
      if (n.alive && !observer.table->IsUp(n.id, now_)) ++count;
  }
  return count;
}

double GossipSimulation::MaxPhiOfLiveNodes() const {
  double max = 0;
  for (const SimNode& observer : nodes_) {
    if (!observer.alive) continue;
    for (const SimNode& n : nodes_)
      if (n.alive) max = std::max(max, observer.table->Phi(n.id, now_));
  }
  return max;
}

std::optional<uint64_t> GossipSimulation::MeasureSpread(size_t i, uint64_t limit_micros) {
  return MeasureSpreads({i}, limit_micros)[0];
}

std::vector<std::optional<uint64_t>> GossipSimulation::MeasureSpreads(
    const std::vector<size_t>& sources, uint64_t limit_micros) {
  struct Tracked {
    size_t source;
    uint64_t version_before;
    std::optional<NodeState> state;  // once the source's round has made it
    uint64_t made_at = 0;
    std::vector<size_t> waiting;  // live nodes that do not hold it yet
  };
  std::vector<Tracked> tracked;
  for (size_t i : sources) tracked.push_back({i, table(i).self().version, {}, 0, {}});
  std::vector<std::optional<uint64_t>> took(sources.size());
  size_t open = sources.size();
  // Checked before each tick: what is seen now happened in the tick before.
  const auto step = [&] {
    const uint64_t last_tick = now_ - std::min(now_, options_.tick_micros);
    for (size_t k = 0; k < tracked.size(); ++k) {
      Tracked& t = tracked[k];
      if (took[k]) continue;
      if (!t.state) {
        if (table(t.source).self().version == t.version_before) continue;
        t.state = table(t.source).self();
        t.made_at = last_tick;
        for (size_t j = 0; j < size(); ++j)
          if (j != t.source && nodes_[j].alive) t.waiting.push_back(j);
      }
      std::erase_if(t.waiting, [&](size_t j) {
        const NodeState* s = nodes_[j].table->Find(t.state->id);
        return s != nullptr && CompareVersions(s->generation, s->version, t.state->generation,
                                               t.state->version) >= 0;
      });
      if (t.waiting.empty()) {
        took[k] = last_tick - t.made_at;
        --open;
      }
    }
    return open == 0;
  };
  (void)RunUntil(step, limit_micros);
  return took;
}

std::optional<uint64_t> GossipSimulation::MeasureJoin(uint64_t limit_micros) {
  const size_t i = AddNode();
  return MeasureSpread(i, limit_micros);
}

std::optional<std::vector<uint64_t>> GossipSimulation::MeasureDetection(size_t i,
                                                                        uint64_t limit_micros) {
  Stop(i);
  const uint64_t stopped_at = now_;
  std::vector<size_t> watching;
  for (size_t j = 0; j < size(); ++j)
    if (j != i && nodes_[j].alive) watching.push_back(j);
  std::vector<uint64_t> took;
  while (!watching.empty() && now_ - stopped_at <= limit_micros) {
    std::erase_if(watching, [&](size_t j) {
      if (nodes_[j].table->IsUp(nodes_[i].id, now_)) return false;
      took.push_back(now_ - stopped_at);
      return true;
    });
    Tick();
  }
  if (!watching.empty()) return std::nullopt;
  std::sort(took.begin(), took.end());
  return took;
}

}  // namespace kv
