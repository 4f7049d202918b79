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
#include "libkv/net/wire_format.h"
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

int AntiEntropy::SessionDepthLimit(size_t trees) const {
  int depth = kMaxMerkleDepth;
  while (depth > 0 &&
         std::max<size_t>(trees, 1) * TreeBuildBytes(depth) > options_.session_bytes / 4)
    --depth;
  return depth;
}

size_t AntiEntropy::SliceBytes() const {
  return std::max<size_t>(1, std::min(options_.session_bytes / 16, wire::kMaxFrameLength / 2));
}

asio::awaitable<Result<MemoryShare::Reservation>> AntiEntropy::ReserveWaiting(size_t bytes,
                                                                              std::string what) {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool said = false;
  for (;;) {
    if (std::optional<MemoryShare::Reservation> room = memory_.TryReserve(bytes))
      co_return std::move(*room);
    const MemoryShare::Figures f = memory_.figures();
    if (bytes > f.capacity || std::chrono::steady_clock::now() >= deadline || stop_.stopped())
      co_return Status::Unavailable(fmt::format(
          "anti-entropy: no room for {} ({} bytes) in its share of the memory budget ({} of {} "
          "bytes in use by other sessions); try again later, or raise --memory-budget",
          what, bytes, f.used, f.capacity));
    if (!said)
      s_.logger->info(
          "anti-entropy: {} waits for memory: {} bytes wanted, {} of the share's {} in use", what,
          bytes, f.used, f.capacity);
    said = true;
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

Result<MemoryShare::Reservation> AntiEntropy::ReserveNow(size_t bytes, std::string_view what) {
  if (std::optional<MemoryShare::Reservation> room = memory_.TryReserve(bytes))
    return std::move(*room);
  const MemoryShare::Figures f = memory_.figures();
  s_.logger->warn(
      "anti-entropy: refused a peer's request for {}: {} bytes wanted, {} of the share's {} in "
      "use",
      what, bytes, f.used, f.capacity);
  return Status::Unavailable(fmt::format(
      "anti-entropy: the replica has no room for {} ({} bytes) in its share of the memory budget "
      "({} of {} bytes in use); try again later, or raise its --memory-budget",
      what, bytes, f.used, f.capacity));
}

Result<AntiEntropy::RangeTrees> AntiEntropy::BuildTrees(TokenRange range, std::optional<int> depth,
                                                        const std::vector<std::string>& peers,
                                                        int sum_depth,
                                                        MemoryShare::Reservation* hold) {
  std::shared_ptr<const ClusterView> view = s_.view();
  // Pending replicas count too (ClusterView): that is how a joining or leaving node's ranges
  // stream.
  const SharedReplicas shared(*view, s_.replicas, peers);
  // Per peer, the sums of its keys' entry hashes by leaf at sum_depth, and how many keys.
  std::vector<std::vector<uint64_t>> sums(peers.size(),
                                          std::vector<uint64_t>(size_t{1} << sum_depth));
  std::vector<size_t> counts(peers.size());

  std::unique_ptr<Iterator> it = s_.engine->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const EntryView e = it->entry();
    const Token token = KeyToken(e.key);
    const std::optional<uint32_t> leaf = MerkleLeafOf(range, sum_depth, token);
    if (!leaf) continue;
    const std::vector<uint32_t>& sharing = shared.Of(token);
    if (sharing.empty()) continue;
    const uint64_t hash = MerkleEntryHash(e.key, EncodedSiblingDigest(e.value));
    for (const uint32_t peer : sharing) {
      sums[peer][*leaf] += hash;
      ++counts[peer];
    }
  }
  KV_RETURN_IF_ERROR(it->status());

  RangeTrees trees;
  const auto now = std::chrono::steady_clock::now();
  for (size_t p = 0; p < peers.size(); ++p) {
    // The initiator sizes the tree to the keys it holds; the responder takes the depth asked.
    const int tree_depth = depth.value_or(std::min(MerkleDepthFor(counts[p]), sum_depth));
    std::vector<uint64_t> leaf_sums = std::move(sums[p]);
    for (int d = sum_depth; d > tree_depth; --d) leaf_sums = FoldLeafSums(leaf_sums);
    KV_ASSIGN_OR_RETURN(MerkleTree tree, MerkleTree::Create(range, tree_depth));
    KV_RETURN_IF_ERROR(tree.SetLeafSums(leaf_sums));
    const size_t bytes = ((size_t{2} << tree_depth) - 1) * sizeof(uint64_t);
    MemoryShare::Reservation memory = hold ? hold->Split(bytes) : MemoryShare::Reservation();
    trees.push_back(
        std::make_shared<RangeTree>(RangeTree{std::move(tree), now, bytes, std::move(memory)}));
  }
  return trees;
}

Result<AntiEntropy::KeySlice> AntiEntropy::GatherLeafKeys(
    TokenRange range, int depth, const std::string& peer, const std::vector<bool>& leaves,
    const std::string& after, const std::string& until, size_t max_bytes) {
  std::shared_ptr<const ClusterView> view = s_.view();
  const SharedReplicas shared(*view, s_.replicas, {peer});
  KeySlice out;
  size_t bytes = 0;
  std::unique_ptr<Iterator> it = s_.engine->NewIterator();
  if (after.empty())
    it->SeekToFirst();
  else
    it->Seek(after);
  for (; it->Valid(); it->Next()) {
    const EntryView e = it->entry();
    if (!after.empty() && e.key <= std::string_view(after)) continue;
    if (!until.empty() && e.key > std::string_view(until)) break;
    const Token token = KeyToken(e.key);
    const std::optional<uint32_t> leaf = MerkleLeafOf(range, depth, token);
    if (!leaf || !leaves[*leaf] || shared.Of(token).empty()) continue;
    // What the key takes in the list (and again in the peer's answer, decoded): the entry, and
    // the key's bytes when they are past std::string's inline buffer.
    const size_t key_bytes = sizeof(KeyDigest) + (e.key.size() > 15 ? e.key.size() + 1 : 0);
    if (!out.keys.empty() && bytes + key_bytes > max_bytes) {
      out.more = true;
      out.last = out.keys.back().key;
      break;
    }
    bytes += key_bytes;
    out.keys.push_back(KeyDigest{std::string(e.key), EncodedSiblingDigest(e.value)});
  }
  KV_RETURN_IF_ERROR(it->status());
  return out;
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
  // The build is charged to the session share; the tree, once cached, to the cache's.
  KV_ASSIGN_OR_RETURN(MemoryShare::Reservation building,
                      ReserveNow(TreeBuildBytes(depth), fmt::format("a tree of depth {}", depth)));
  KV_ASSIGN_OR_RETURN(RangeTrees built, BuildTrees(range, depth, {peer}, depth, nullptr));
  building.Release();
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
  std::vector<bool> leaves(size_t{1} << depth);
  for (uint32_t leaf : m.leaves) {
    if (leaf >= leaves.size())
      return Status::InvalidArgument(fmt::format("leaf {} is outside the tree", leaf));
    leaves[leaf] = true;
  }
  if (!m.until.empty() && m.until <= m.after)
    return Status::InvalidArgument("a slice of leaf keys that ends before it starts");
  // The asker's room, within this node's: the keys gathered and their encoded answer.
  const size_t max_bytes = std::min<uint64_t>(m.max_bytes, SliceBytes());
  KV_ASSIGN_OR_RETURN(MemoryShare::Reservation room,
                      ReserveNow(2 * max_bytes, "a slice of leaf keys"));
  KV_ASSIGN_OR_RETURN(KeySlice slice, GatherLeafKeys(TokenRange{m.range_start, m.range_end}, depth,
                                                     m.peer, leaves, m.after, m.until, max_bytes));
  LeafKeysResponse out;
  out.keys.reserve(slice.keys.size());
  for (KeyDigest& k : slice.keys)
    out.keys.push_back(LeafKey{.key = std::move(k.key), .digest = k.digest});
  out.more = slice.more;
  out.last = std::move(slice.last);
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
      const int sum_depth = SessionDepthLimit(rest.size());
      Result<MemoryShare::Reservation> room = co_await ReserveWaiting(
          rest.size() * TreeBuildBytes(sum_depth),
          fmt::format("the trees of range ({:#x}, {:#x}] for {} peer{}", range.start, range.end,
                      rest.size(), rest.size() == 1 ? "" : "s"));
      Result<RangeTrees> built = room.status();
      if (room.ok()) {
        auto hold = std::make_shared<MemoryShare::Reservation>(std::move(*room));
        auto build = [this, range, rest = std::move(rest), sum_depth, hold] {
          return BuildTrees(range, std::nullopt, rest, sum_depth, hold.get());
        };
        built = co_await RunOnPool(*s_.engine_pool, std::move(build));
      }
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

  // The keys of every differing leaf, gathered on both sides a slice of the key order at a time:
  // this node's slice first, then the peer's of the same stretch (it may stop sooner); what
  // differs in the part both covered is repaired before the next slice is gathered.
  auto leaves = std::make_shared<std::vector<bool>>(mine->tree.leaf_count());
  for (uint32_t leaf : differing_leaves) (*leaves)[leaf] = true;
  const size_t slice_bytes = SliceBytes();
  // Ours, the peer's as it arrives and decoded, and the differing keys taken from them.
  Result<MemoryShare::Reservation> room =
      co_await ReserveWaiting(4 * slice_bytes, fmt::format("a session's key slices with {}", peer));
  if (!room.ok()) co_return room.status();
  std::string after;
  for (;;) {
    auto gather = [this, range, depth, peer, leaves, after, slice_bytes] {
      return GatherLeafKeys(range, depth, peer, *leaves, after, std::string(), slice_bytes);
    };
    Result<KeySlice> own = co_await RunOnPool(*s_.engine_pool, std::move(gather));
    if (!own.ok()) co_return own.status();
    LeafKeysRequest leaf_request{.range_start = range.start,
                                 .range_end = range.end,
                                 .depth = static_cast<uint32_t>(depth),
                                 .leaves = differing_leaves,
                                 .peer = view->self,
                                 .after = after,
                                 .until = own->more ? own->last : std::string(),
                                 .max_bytes = slice_bytes};
    std::string leaf_body = EncodeMessage(leaf_request);
    Result<Frame> answer = co_await CallPeer(address, wire::MessageType::kLeafKeysRequest,
                                             std::move(leaf_body), figures);
    if (!answer.ok()) co_return answer.status();
    Result<LeafKeysResponse> their_keys = DecodeMessage<LeafKeysResponse>(answer->body);
    if (!their_keys.ok()) co_return their_keys.status();
    answer->body.clear();
    answer->body.shrink_to_fit();
    // Where both slices end: the peer's, when it stopped sooner. It must move forward and stay
    // within what was asked, or the session would never end.
    if (their_keys->more &&
        (their_keys->last <= after || (own->more && their_keys->last > own->last)))
      co_return Status::Protocol(
          fmt::format("{} answered a slice of leaf keys ending outside what was asked", peer));
    const bool done = !own->more && !their_keys->more;
    const std::string covered = their_keys->more ? their_keys->last : own->last;
    std::vector<KeyDigest> theirs, ours = std::move(own->keys);
    theirs.reserve(their_keys->keys.size());
    for (LeafKey& k : their_keys->keys) {
      if (k.key <= after || (!covered.empty() && k.key > covered))
        co_return Status::Protocol(
            fmt::format("{} answered a key outside the slice of leaf keys asked", peer));
      theirs.push_back(KeyDigest{std::move(k.key), k.digest});
    }
    their_keys->keys = {};
    if (their_keys->more)
      while (!ours.empty() && ours.back().key > covered) ours.pop_back();
    figures->keys_compared += ours.size() + theirs.size();
    KeyDifferences diff = DifferingKeys(std::move(ours), std::move(theirs));
    figures->keys_differing +=
        diff.only_mine.size() + diff.only_theirs.size() + diff.different.size();
    Status repaired = co_await RepairKeys(address, std::move(diff), figures);
    if (!repaired.ok() || done) co_return repaired;
    after = covered;
  }
}

asio::awaitable<Status> AntiEntropy::RepairKeys(const std::string& address, KeyDifferences diff,
                                                RepairResponse* figures) {
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
