#include "libkv/replication/anti_entropy.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "libkv/antientropy/merkle_messages.h"
#include "libkv/async/run_on_pool.h"
#include "libkv/net/replica_messages.h"
#include "libkv/replication/shared_replicas.h"

namespace kv {

namespace asio = boost::asio;

namespace {

// For a repair's end time when the services give no wall clock (a test's).
uint64_t WallClockMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

bool Overlap(const TokenRange& a, const TokenRange& b) {
  return a.Contains(b.end) || b.Contains(a.end);
}

bool Names(const std::vector<std::string>& ids, std::string_view id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Whether `view` is settled and names N distinct replicas, `self` among them, for every part of
// `range`: then a repair that reached every other node replicating part of the range reached all
// N-1 other replicas of each of its keys.
bool NamesEveryReplica(const ClusterView& view, const TokenRange& range, size_t n) {
  if (view.changing()) return false;
  auto complete = [&](Token token) {
    const std::vector<std::string> replicas = view.ring->PreferenceListForToken(token, n);
    return replicas.size() == n && Names(replicas, view.self);
  };
  // Between two consecutive ring tokens every preference list is the same: check the part of
  // each token that falls in the range, and the part that holds the range's end.
  if (!complete(range.end)) return false;
  for (const Token token : view.ring->Tokens())
    if (range.Contains(token) && !complete(token)) return false;
  return true;
}

Result<int> CheckedDepth(uint32_t depth) {
  if (depth > static_cast<uint32_t>(kMaxMerkleDepth))
    return Status::InvalidArgument(
        fmt::format("Merkle depth {} is above {}", depth, kMaxMerkleDepth));
  return static_cast<int>(depth);
}

}  // namespace

std::vector<TokenRange> AntiEntropy::Ranges() const {
  std::shared_ptr<const ClusterView> view = s_.view();
  std::vector<TokenRange> ranges = view->ring->RangesReplicatedBy(view->self, s_.replicas);
  // A joining node holds no range of the current ring yet: its ranges are those it is taking.
  if (ranges.empty()) ranges = view->future->RangesReplicatedBy(view->self, s_.replicas);
  return ranges;
}

Result<AntiEntropy::RangeTrees> AntiEntropy::BuildTrees(TokenRange range, std::optional<int> depth,
                                                        const std::vector<std::string>& peers) {
  std::shared_ptr<const ClusterView> view = s_.view();
  // Pending replicas count too (ClusterView): that is how a joining or leaving node's ranges
  // stream.
  const SharedReplicas shared(*view, s_.replicas, peers);
  struct Entry {
    Token token;
    uint64_t hash;  // MerkleEntryHash
    KeyDigest key;
  };
  std::vector<std::vector<Entry>> entries(peers.size());  // per peer, in key order

  std::unique_ptr<Iterator> it = s_.engine->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const EntryView e = it->entry();
    const Token token = KeyToken(e.key);
    if (!range.Contains(token)) continue;
    const std::vector<uint32_t>& sharing = shared.Of(token);
    if (sharing.empty()) continue;
    const uint64_t digest = EncodedSiblingDigest(e.value);
    const uint64_t hash = MerkleEntryHash(e.key, digest);
    for (const uint32_t peer : sharing)
      entries[peer].push_back(Entry{token, hash, KeyDigest{std::string(e.key), digest}});
  }
  KV_RETURN_IF_ERROR(it->status());

  RangeTrees trees;
  const auto now = std::chrono::steady_clock::now();
  for (std::vector<Entry>& keys : entries) {
    // The initiator sizes the tree to the keys it holds; the responder takes the depth asked.
    KV_ASSIGN_OR_RETURN(MerkleTree tree,
                        MerkleTree::Create(range, depth.value_or(MerkleDepthFor(keys.size()))));
    auto out = std::make_shared<RangeTree>(RangeTree{std::move(tree), {}, {}, now});
    std::vector<uint64_t> leaf_sums(out->tree.leaf_count());
    std::vector<uint32_t> leaf_of(keys.size());
    out->leaf_starts.assign(out->tree.leaf_count() + 1, 0);
    for (size_t i = 0; i < keys.size(); ++i) {
      leaf_of[i] = *out->tree.LeafOf(keys[i].token);
      leaf_sums[leaf_of[i]] += keys[i].hash;
      ++out->leaf_starts[leaf_of[i] + 1];
    }
    KV_RETURN_IF_ERROR(out->tree.SetLeafSums(leaf_sums));
    // Counting sort by leaf; stable, so each leaf's keys stay in the scan's key order.
    for (size_t i = 1; i < out->leaf_starts.size(); ++i)
      out->leaf_starts[i] += out->leaf_starts[i - 1];
    out->keys.resize(keys.size());
    std::vector<uint32_t> next(out->leaf_starts.begin(), out->leaf_starts.end() - 1);
    for (size_t i = 0; i < keys.size(); ++i) out->keys[next[leaf_of[i]]++] = std::move(keys[i].key);
    out->bytes = ((size_t{2} << out->tree.depth()) - 1) * sizeof(uint64_t) +
                 out->leaf_starts.size() * sizeof(uint32_t) + out->keys.size() * sizeof(KeyDigest);
    for (const KeyDigest& k : out->keys)
      if (k.key.capacity() > 15) out->bytes += k.key.capacity() + 1;  // past the inline buffer
    trees.push_back(std::move(out));
  }
  return trees;
}

Result<std::shared_ptr<const AntiEntropy::RangeTree>> AntiEntropy::TreeFor(TokenRange range,
                                                                           int depth,
                                                                           const std::string& peer,
                                                                           bool use_cache) {
  const auto key = std::make_tuple(range.start, range.end, depth, peer);
  if (use_cache) {
    std::lock_guard lock(mu_);
    auto found = cache_.find(key);
    if (found != cache_.end() &&
        std::chrono::steady_clock::now() - found->second.tree->built < options_.tree_cache_ttl) {
      found->second.last_used = ++use_clock_;
      return found->second.tree;
    }
  }
  KV_ASSIGN_OR_RETURN(RangeTrees built, BuildTrees(range, depth, {peer}));
  std::shared_ptr<const RangeTree> tree = std::move(built.front());
  std::lock_guard lock(mu_);
  CachedTree& slot = cache_[key];
  if (slot.tree) cache_bytes_ -= slot.tree->bytes;
  slot = CachedTree{tree, ++use_clock_};
  cache_bytes_ += tree->bytes;
  EvictLocked(key);
  return tree;
}

void AntiEntropy::EvictLocked(const std::tuple<Token, Token, int, std::string>& keep) {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->first != keep && now - it->second.tree->built >= options_.tree_cache_ttl) {
      cache_bytes_ -= it->second.tree->bytes;
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
  // A few dozen entries at most: a scan for the least recently used is cheaper than an index.
  while (cache_.size() > 1 && (cache_.size() > options_.tree_cache_entries ||
                               cache_bytes_ > options_.tree_cache_bytes)) {
    auto oldest = cache_.end();
    for (auto it = cache_.begin(); it != cache_.end(); ++it)
      if (it->first != keep &&
          (oldest == cache_.end() || it->second.last_used < oldest->second.last_used))
        oldest = it;
    cache_bytes_ -= oldest->second.tree->bytes;
    cache_.erase(oldest);
  }
}

AntiEntropy::TreeCacheFigures AntiEntropy::tree_cache() const {
  std::lock_guard lock(mu_);
  return TreeCacheFigures{cache_.size(), cache_bytes_};
}

Status AntiEntropy::CheckPeer(const std::string& peer) const {
  std::shared_ptr<const ClusterView> view = s_.view();
  for (const Ring* ring : {view->ring.get(), view->future.get()}) {
    const std::vector<std::string>& nodes = ring->nodes();  // sorted
    if (std::binary_search(nodes.begin(), nodes.end(), peer)) return Status::Ok();
  }
  return Status::InvalidArgument(fmt::format(
      "a Merkle tree for {:?}, which is not a node of this node's ring; refused", peer));
}

Result<MerkleLevelResponse> AntiEntropy::AnswerLevel(const MerkleLevelRequest& m) {
  KV_ASSIGN_OR_RETURN(int depth, CheckedDepth(m.depth));
  KV_RETURN_IF_ERROR(CheckPeer(m.peer));
  const TokenRange range{m.range_start, m.range_end};
  // Level 0 opens a session: build afresh, so it sees every write made before it.
  KV_ASSIGN_OR_RETURN(std::shared_ptr<const RangeTree> tree,
                      TreeFor(range, depth, m.peer, /*use_cache=*/m.level != 0));
  KV_ASSIGN_OR_RETURN(MerkleLevelHashes hashes,
                      tree->tree.LevelHashes(static_cast<int>(m.level), m.indices));
  return MerkleLevelResponse{.payload = EncodeMerkleLevelHashes(hashes)};
}

Result<LeafKeysResponse> AntiEntropy::AnswerLeafKeys(const LeafKeysRequest& m) {
  KV_ASSIGN_OR_RETURN(int depth, CheckedDepth(m.depth));
  KV_RETURN_IF_ERROR(CheckPeer(m.peer));
  KV_ASSIGN_OR_RETURN(std::shared_ptr<const RangeTree> tree,
                      TreeFor(TokenRange{m.range_start, m.range_end}, depth, m.peer, true));
  LeafKeysResponse out;
  for (uint32_t leaf : m.leaves) {
    if (leaf >= tree->tree.leaf_count())
      return Status::InvalidArgument(fmt::format("leaf {} is outside the tree", leaf));
    for (const KeyDigest& k : tree->KeysOf(leaf))
      out.keys.push_back(LeafKey{.key = k.key, .digest = k.digest});
  }
  std::sort(out.keys.begin(), out.keys.end(),
            [](const LeafKey& a, const LeafKey& b) { return a.key < b.key; });
  return out;
}

void AntiEntropy::Start(asio::any_io_executor executor) {
  if (options_.interval.count() == 0) return;
  asio::co_spawn(executor, Rounds(), asio::detached);
}

void AntiEntropy::Stop() {
  stop_.Stop();
}

asio::awaitable<void> AntiEntropy::Rounds() {
  // Why the last pass was skipped, once logged at info: a node that stays unable to repair (it
  // waits for the cluster) says so once, then at debug each pass, until a pass runs.
  std::string skipped_why;
  while (co_await stop_.Sleep(options_.interval)) {
    if (s_.may_repair) {
      if (Status may = s_.may_repair(); !may.ok()) {
        const bool again = may.message() == skipped_why;
        s_.logger->log(again ? spdlog::level::debug : spdlog::level::info,
                       "background anti-entropy: pass skipped: {}", may.message());
        skipped_why = may.message();
        continue;
      }
    }
    skipped_why.clear();
    RepairResponse pass;
    size_t ranges = 0, ranges_unconverged = 0;
    const auto pass_start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration repairing{0};  // the pass's time less its rests
    for (const TokenRange& range : Ranges()) {
      const auto start = std::chrono::steady_clock::now();
      RepairResponse figures = co_await RepairRange(range);
      ++ranges;
      if (figures.replicas_unreachable > 0 || !figures.problems.empty()) ++ranges_unconverged;
      pass.keys_compared += figures.keys_compared;
      pass.keys_differing += figures.keys_differing;
      pass.keys_transferred += figures.keys_transferred;
      pass.keys_repaired += figures.keys_repaired;
      pass.bytes_exchanged += figures.bytes_exchanged;
      pass.replicas_unreachable += figures.replicas_unreachable;
      const auto took = std::chrono::steady_clock::now() - start;
      repairing += took;
      if (!co_await stop_.Sleep(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              took * options_.rest_factor)))
        co_return;
    }
    s_.logger->info(
        "background anti-entropy: pass of {} range{} ({} not converged): {} keys compared, {} "
        "differing, {} transferred, {} repaired, {} bytes exchanged, {} replicas unreachable "
        "(summed over ranges), in {:.1f} s ({:.1f} s repairing, the rest resting)",
        ranges, ranges == 1 ? "" : "s", ranges_unconverged, pass.keys_compared, pass.keys_differing,
        pass.keys_transferred, pass.keys_repaired, pass.bytes_exchanged, pass.replicas_unreachable,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - pass_start).count(),
        std::chrono::duration<double>(repairing).count());
  }
}

asio::awaitable<RepairResponse> AntiEntropy::RepairRange(TokenRange range) {
  RepairResponse figures;
  // Taken before any session: whatever a replica held by now reaches every replica by the end.
  const uint64_t started_micros = s_.tombstone_gc ? s_.wall_micros() : 0;
  std::shared_ptr<const ClusterView> view = s_.view();
  std::vector<std::string> peers;
  for (const Ring* ring : {view->ring.get(), view->future.get()}) {
    for (const std::string& node : ring->nodes()) {
      if (node == view->self || Names(peers, node)) continue;
      for (const TokenRange& r : ring->RangesReplicatedBy(node, s_.replicas))
        if (Overlap(r, range)) {
          peers.push_back(node);
          break;
        }
    }
  }
  figures.replicas = static_cast<uint32_t>(peers.size());
  std::string first_pass;  // named: g++ 12 mis-destroys temporaries inside co_await
  std::vector<std::string> unreachable =
      co_await RunSessions(range, peers, std::move(first_pass), &figures);
  // What a later peer brought may be news to an earlier one: one more pass hands it on (the
  // trees now agree wherever nothing changed, so it costs a root comparison per peer).
  if (figures.keys_repaired > 0 && peers.size() > 1) {
    std::vector<std::string> again;
    for (size_t i = 0; i + 1 < peers.size(); ++i)
      if (!Names(unreachable, peers[i])) again.push_back(peers[i]);
    std::string second_pass = " (second pass)";
    std::vector<std::string> failed =
        co_await RunSessions(range, std::move(again), std::move(second_pass), &figures);
    unreachable.insert(unreachable.end(), failed.begin(), failed.end());
  }
  figures.replicas_unreachable = static_cast<uint32_t>(unreachable.size());
  if (unreachable.empty() && s_.tombstone_gc) {
    const bool reached_every_replica = NamesEveryReplica(*view, range, s_.replicas);
    if (!reached_every_replica) {
      const std::string why = view->changing()
                                  ? std::string("nodes are joining or leaving")
                                  : fmt::format(
                                        "the ring does not name N={} replicas, this node among "
                                        "them, for all of it",
                                        s_.replicas);
      s_.logger->info("repair of range ({:#x}, {:#x}] not recorded for tombstone GC: {}",
                      range.start, range.end, why);
    }
    Status s = s_.tombstone_gc->RecordRepair(range, started_micros, reached_every_replica);
    if (!s.ok()) s_.logger->warn("recording a complete repair: {}", s.ToString());
  }
  {
    std::lock_guard lock(mu_);
    ++totals_.ranges;
    totals_.keys_compared += figures.keys_compared;
    totals_.keys_repaired += figures.keys_repaired;
    totals_.bytes_exchanged += figures.bytes_exchanged;
    if (unreachable.empty())
      totals_.last_complete_micros = s_.wall_micros ? s_.wall_micros() : WallClockMicros();
    else
      ++totals_.ranges_incomplete;
  }
  co_return figures;
}

AntiEntropy::RepairTotals AntiEntropy::totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

asio::awaitable<std::vector<std::string>> AntiEntropy::RunSessions(TokenRange range,
                                                                   std::vector<std::string> peers,
                                                                   std::string pass,
                                                                   RepairResponse* figures) {
  std::vector<std::string> failed;
  auto fail = [&](const std::string& peer, const Status& why) {
    failed.push_back(peer);
    if (!figures->problems.empty()) figures->problems += "; ";
    figures->problems += fmt::format("{}{}: {}", peer, pass, why.message());
  };
  // One scan builds this node's trees for all the peers still to come. A session that found
  // differing keys changed (or may yet change) what this node holds, so the peers after it get
  // trees from a fresh scan: each session compares what this node holds when it starts.
  RangeTrees trees;
  size_t first_in_trees = 0;
  for (size_t i = 0; i < peers.size(); ++i) {
    if (trees.empty()) {
      std::vector<std::string> rest(peers.begin() + static_cast<std::ptrdiff_t>(i), peers.end());
      auto build = [this, range, rest = std::move(rest)] {
        return BuildTrees(range, std::nullopt, rest);
      };
      Result<RangeTrees> built = co_await RunOnPool(*s_.engine_pool, std::move(build));
      if (!built.ok()) {
        for (size_t j = i; j < peers.size(); ++j) fail(peers[j], built.status());
        break;
      }
      trees = std::move(*built);
      first_in_trees = i;
    }
    const uint64_t differing_before = figures->keys_differing;
    std::shared_ptr<const RangeTree> mine = trees[i - first_in_trees];
    Status s = co_await RepairWith(range, peers[i], std::move(mine), figures);
    if (!s.ok()) fail(peers[i], s);
    if (!s.ok() || figures->keys_differing != differing_before) trees.clear();
  }
  co_return failed;
}

asio::awaitable<Result<Frame>> AntiEntropy::CallPeer(const std::string& address,
                                                     wire::MessageType type, std::string body,
                                                     RepairResponse* figures) {
  figures->bytes_exchanged += body.size();
  std::string to = address;
  Result<Frame> answer =
      co_await s_.transport->Call(std::move(to), type, std::move(body), options_.timeout);
  if (answer.ok()) figures->bytes_exchanged += answer->body.size();
  co_return answer;
}

asio::awaitable<Status> AntiEntropy::RepairWith(TokenRange range, const std::string& peer,
                                                std::shared_ptr<const RangeTree> mine,
                                                RepairResponse* figures) {
  std::shared_ptr<const ClusterView> view = s_.view();
  const std::string address(view->AddressOf(peer));
  const int depth = mine->tree.depth();  // the initiator's choice; the peer builds to it

  // Top-down: ask for the hashes of the nodes that differed one level up.
  std::vector<uint32_t> nodes = {0};
  std::vector<uint32_t> differing_leaves;
  for (int level = 0; level <= depth && !nodes.empty(); ++level) {
    MerkleLevelRequest request{.range_start = range.start,
                               .range_end = range.end,
                               .depth = static_cast<uint32_t>(depth),
                               .level = static_cast<uint32_t>(level),
                               .indices = nodes,
                               .peer = view->self};
    // Bodies named, never temporaries inside co_await: g++ 12 mis-destroys those.
    std::string body = EncodeMessage(request);
    Result<Frame> answer = co_await CallPeer(address, wire::MessageType::kMerkleLevelRequest,
                                             std::move(body), figures);
    if (!answer.ok()) co_return answer.status();
    Result<MerkleLevelResponse> m = DecodeMessage<MerkleLevelResponse>(answer->body);
    if (!m.ok()) co_return m.status();
    Result<MerkleLevelHashes> theirs = DecodeMerkleLevelHashes(m->payload);
    if (!theirs.ok()) co_return theirs.status();
    Result<std::vector<uint32_t>> differing = DifferingNodes(mine->tree, *theirs);
    if (!differing.ok()) co_return differing.status();
    if (level == depth)
      differing_leaves = std::move(*differing);
    else
      nodes = ChildrenOf(*differing);
  }
  if (differing_leaves.empty()) co_return Status::Ok();

  LeafKeysRequest leaf_request{.range_start = range.start,
                               .range_end = range.end,
                               .depth = static_cast<uint32_t>(depth),
                               .leaves = differing_leaves,
                               .peer = view->self};
  std::string leaf_body = EncodeMessage(leaf_request);
  Result<Frame> answer = co_await CallPeer(address, wire::MessageType::kLeafKeysRequest,
                                           std::move(leaf_body), figures);
  if (!answer.ok()) co_return answer.status();
  Result<LeafKeysResponse> their_keys = DecodeMessage<LeafKeysResponse>(answer->body);
  if (!their_keys.ok()) co_return their_keys.status();
  std::vector<KeyDigest> theirs, own;
  for (LeafKey& k : their_keys->keys) theirs.push_back(KeyDigest{std::move(k.key), k.digest});
  for (uint32_t leaf : differing_leaves) {
    std::span<const KeyDigest> keys = mine->KeysOf(leaf);
    own.insert(own.end(), keys.begin(), keys.end());
  }
  std::sort(own.begin(), own.end(),
            [](const KeyDigest& a, const KeyDigest& b) { return a.key < b.key; });
  figures->keys_compared += own.size() + theirs.size();
  KeyDifferences diff = DifferingKeys(std::move(own), std::move(theirs));
  figures->keys_differing +=
      diff.only_mine.size() + diff.only_theirs.size() + diff.different.size();

  // The keys go through a window of lanes, each repairing one key at a time, so that up to
  // `window` merges (here) and writes (there) wait for an fsync together and share it.
  auto executor = co_await asio::this_coro::executor;
  auto w = std::make_shared<RepairWindow>(executor);
  w->address = address;
  w->figures = figures;
  w->fetch = std::move(diff.only_theirs);
  w->fetch.insert(w->fetch.end(), diff.different.begin(), diff.different.end());
  w->send = std::move(diff.only_mine);
  const size_t keys = w->fetch.size() + w->send.size();
  const size_t lanes = std::min(keys, std::max<size_t>(options_.window, 1));
  for (size_t i = 0; i < lanes; ++i) {
    ++w->lanes_running;
    // A lane that threw still ends (and fails the session): the session never waits forever.
    asio::co_spawn(executor, RepairLane(w), [w](std::exception_ptr e) {
      if (e && w->first_error.ok()) {
        std::string why = "unknown exception";
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          why = ex.what();
        } catch (...) {
        }
        w->first_error = Status::Unavailable(fmt::format("a repair lane failed: {}", why));
      }
      if (--w->lanes_running == 0) w->lanes_done.cancel();
    });
  }
  while (w->lanes_running > 0)
    co_await w->lanes_done.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return w->first_error;
}

asio::awaitable<void> AntiEntropy::RepairLane(std::shared_ptr<RepairWindow> w) {
  // After the first failure the lanes start no more keys: the session reports that failure.
  while (w->first_error.ok() && w->next < w->fetch.size() + w->send.size()) {
    const size_t i = w->next++;
    Status s;
    if (i < w->fetch.size())
      s = co_await FetchAndMerge(w->address, w->fetch[i], w->figures);
    else
      s = co_await SendOurs(w->address, w->send[i - w->fetch.size()], w->figures);
    if (!s.ok() && w->first_error.ok()) w->first_error = std::move(s);
  }
}

asio::awaitable<Status> AntiEntropy::FetchAndMerge(const std::string& address,
                                                   const std::string& key,
                                                   RepairResponse* figures) {
  // Theirs (or both differ): fetch, merge here, and send the union back if they lacked any of it.
  std::string read_body = EncodeMessage(ReplicaReadRequest{.key = key});
  Result<Frame> read = co_await CallPeer(address, wire::MessageType::kReplicaReadRequest,
                                         std::move(read_body), figures);
  if (!read.ok()) co_return read.status();
  Result<ReplicaReadResponse> r = DecodeMessage<ReplicaReadResponse>(read->body);
  if (!r.ok()) co_return r.status();
  Result<SiblingSet> their_set =
      r->siblings.empty() ? Result<SiblingSet>(SiblingSet()) : SiblingSet::Decode(r->siblings);
  if (!their_set.ok()) co_return their_set.status();
  if (!their_set->empty()) ++figures->keys_transferred;
  SiblingSet incoming = *their_set;
  std::string merge_key = key;
  Result<SiblingSet> merged =
      co_await s_.coordinator->MergeLocal(std::move(merge_key), std::move(incoming));
  if (!merged.ok()) co_return merged.status();
  ++figures->keys_repaired;
  if (*merged == *their_set) co_return Status::Ok();
  std::string write_body =
      EncodeMessage(ReplicaWriteRequest{.key = key, .siblings = merged->Encode()});
  Result<Frame> wrote = co_await CallPeer(address, wire::MessageType::kReplicaWriteRequest,
                                          std::move(write_body), figures);
  if (!wrote.ok()) co_return wrote.status();
  ++figures->keys_transferred;
  co_return Status::Ok();
}

asio::awaitable<Status> AntiEntropy::SendOurs(const std::string& address, const std::string& key,
                                              RepairResponse* figures) {
  // Ours alone: send it.
  Result<SiblingSet> set = s_.store->Read(key);
  if (!set.ok()) co_return set.status();
  if (set->empty()) co_return Status::Ok();  // deleted from the engine since the scan
  std::string write_body =
      EncodeMessage(ReplicaWriteRequest{.key = key, .siblings = set->Encode()});
  Result<Frame> wrote = co_await CallPeer(address, wire::MessageType::kReplicaWriteRequest,
                                          std::move(write_body), figures);
  if (!wrote.ok()) co_return wrote.status();
  ++figures->keys_transferred;
  ++figures->keys_repaired;
  co_return Status::Ok();
}

}  // namespace kv
