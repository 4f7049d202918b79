#include "libkv/antientropy/merkle_tree.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "libkv/antientropy/merkle_diff.h"
#include "libkv/antientropy/merkle_messages.h"
#include "libkv/base/hash.h"

namespace kv {
namespace {

constexpr TokenRange kWholeRing{0, 0};
// start > end: the range wraps past 2^64 - 1 to 0, and holds about 3/8 of the ring.
constexpr TokenRange kWrapping{0xd000'0000'0000'0000ULL, 0x3000'0000'0000'0000ULL};

MerkleTree MustCreate(TokenRange range, int depth = kDefaultMerkleDepth) {
  auto tree = MerkleTree::Create(range, depth);
  REQUIRE(tree.ok());
  return std::move(tree).value();
}

// "<prefix><i>". (GCC 12 misreports -Wrestrict on a short literal + std::to_string.)
std::string Numbered(std::string_view prefix, uint64_t i) {
  std::string out(prefix);
  out += std::to_string(i);
  return out;
}

// A replica's contents of one range: key -> sibling digest.
using Replica = std::map<std::string, uint64_t>;

MerkleTree TreeOf(const Replica& replica, TokenRange range, int depth = kDefaultMerkleDepth) {
  MerkleTree tree = MustCreate(range, depth);
  for (const auto& [key, digest] : replica) REQUIRE(tree.Add(key, digest).ok());
  return tree;
}

// `count` keys whose tokens fall in `range`, each with a random digest.
Replica RandomReplica(std::mt19937_64& rng, TokenRange range, size_t count) {
  Replica replica;
  for (uint64_t i = 0; replica.size() < count; ++i) {
    std::string key = Numbered("key-", i);
    if (range.Contains(KeyToken(key))) replica[key] = rng();
  }
  return replica;
}

// What the integrator would send for the differing leaves: every key of those leaves.
std::vector<KeyDigest> KeysOfLeaves(const Replica& replica, const MerkleTree& tree,
                                    const std::vector<uint32_t>& leaves) {
  std::vector<KeyDigest> out;
  for (const auto& [key, digest] : replica) {
    std::optional<uint32_t> leaf = tree.LeafOfKey(key);
    REQUIRE(leaf.has_value());
    if (std::binary_search(leaves.begin(), leaves.end(), *leaf)) out.push_back({key, digest});
  }
  return out;
}

TEST_CASE("merkle tree: equal contents give equal roots, whatever the order of adding") {
  std::mt19937_64 rng(1);
  Replica replica = RandomReplica(rng, kWholeRing, 2000);
  MerkleTree forward = TreeOf(replica, kWholeRing);
  MerkleTree backward = MustCreate(kWholeRing);
  for (auto it = replica.rbegin(); it != replica.rend(); ++it) {
    REQUIRE(backward.Add(it->first, it->second).ok());
  }
  CHECK(forward.RootHash() == backward.RootHash());
  for (uint32_t leaf = 0; leaf < forward.leaf_count(); ++leaf) {
    REQUIRE(forward.NodeHash(forward.depth(), leaf) == backward.NodeHash(forward.depth(), leaf));
  }
  // Negative control: one digest changed changes the root.
  replica.begin()->second ^= 1;
  CHECK(TreeOf(replica, kWholeRing).RootHash() != forward.RootHash());
  // Two empty trees agree; an empty tree differs from a non-empty one.
  CHECK(MustCreate(kWholeRing).RootHash() == MustCreate(kWholeRing).RootHash());
  CHECK(MustCreate(kWholeRing).RootHash() != forward.RootHash());
}

TEST_CASE("merkle tree: the depth for a key count keeps about 16 keys a leaf, within 10..20") {
  CHECK(MerkleDepthFor(0) == kDefaultMerkleDepth);
  CHECK(MerkleDepthFor(16 << 10) == kDefaultMerkleDepth);  // 16 keys a leaf at 1,024 leaves
  CHECK(MerkleDepthFor((16 << 10) + 1024) == 11);
  CHECK(MerkleDepthFor(100'000) == 13);  // ~12 keys a leaf
  CHECK(MerkleDepthFor(size_t{1} << 40) == kMaxMerkleDepth);
  for (size_t keys = 1; keys < (size_t{1} << 26); keys = keys * 3 + 1) {
    const int depth = MerkleDepthFor(keys);
    CAPTURE(keys);
    CHECK(depth >= kDefaultMerkleDepth);
    CHECK(depth <= kMaxMerkleDepth);
    if (depth < kMaxMerkleDepth) CHECK((keys >> depth) <= kMerkleKeysPerLeaf);
    if (depth > kDefaultMerkleDepth) CHECK((keys >> (depth - 1)) > kMerkleKeysPerLeaf);
  }
}

TEST_CASE("merkle tree: sums folded from a deeper tree give the tree Add builds at each depth") {
  // A session sums keys at the deepest depth it can afford, then folds to the depth its key count
  // calls for (AntiEntropy::BuildTrees): exact only if leaf i of depth d - 1 is leaves 2i and
  // 2i + 1 of depth d, also for a range that wraps and for the whole ring.
  std::mt19937_64 rng(12);
  for (const TokenRange range : {kWholeRing, TokenRange{uint64_t{3} << 62, 12345}}) {
    const Replica replica = RandomReplica(rng, range, 5000);
    constexpr int kDeep = 14;
    std::vector<uint64_t> sums(size_t{1} << kDeep);
    for (const auto& [key, digest] : replica)
      if (std::optional<uint32_t> leaf = MerkleLeafOf(range, kDeep, KeyToken(key)))
        sums[*leaf] += MerkleEntryHash(key, digest);
    for (int depth = kDeep; depth >= 8; --depth) {
      MerkleTree added = MustCreate(range, depth);
      for (const auto& [key, digest] : replica) (void)added.Add(key, digest);
      MerkleTree folded = MustCreate(range, depth);
      REQUIRE(folded.SetLeafSums(sums).ok());
      CHECK(folded.RootHash() == added.RootHash());
      for (uint32_t i = 0; i < folded.leaf_count(); ++i)
        REQUIRE(folded.NodeHash(depth, i) == added.NodeHash(depth, i));
      sums = FoldLeafSums(sums);
    }
  }
}

TEST_CASE("merkle tree: leaf sums set at once give the tree Add builds, at every node") {
  std::mt19937_64 rng(11);
  for (const TokenRange range : {kWholeRing, TokenRange{1000, uint64_t{1} << 63}}) {
    Replica replica = RandomReplica(rng, range, 3000);
    // One key longer than MerkleEntryHash's stack buffer takes the heap path: the same hash.
    replica[Numbered(std::string(300, 'k'), 1)] = 42;
    for (const int depth : {0, 4, 10}) {
      MerkleTree added = MustCreate(range, depth);
      MerkleTree summed = MustCreate(range, depth);
      std::vector<uint64_t> sums(summed.leaf_count());
      for (const auto& [key, digest] : replica) {
        if (!added.Add(key, digest).ok()) continue;  // outside a partial range
        sums[*summed.LeafOfKey(key)] += MerkleEntryHash(key, digest);
      }
      REQUIRE(summed.SetLeafSums(sums).ok());
      for (int level = 0; level <= depth; ++level)
        for (uint32_t i = 0; i < (uint32_t{1} << level); ++i)
          REQUIRE(summed.NodeHash(level, i) == added.NodeHash(level, i));
      // A wrong count is refused and the tree stays as it was.
      sums.push_back(1);
      CHECK(summed.SetLeafSums(sums).Is(ErrorCode::kInvalidArgument));
      CHECK(summed.RootHash() == added.RootHash());
    }
  }
}

TEST_CASE(
    "merkle tree: incremental upkeep ends where a rebuild does — a double add never cancels") {
  std::mt19937_64 rng(2);
  Replica replica = RandomReplica(rng, kWrapping, 3000);
  MerkleTree live = TreeOf(replica, kWrapping);
  // Writes: update a third, remove a third (by key order), keep the rest.
  size_t i = 0;
  for (auto it = replica.begin(); it != replica.end(); ++i) {
    if (i % 3 == 0) {
      uint64_t digest = rng();
      REQUIRE(live.Update(it->first, it->second, digest).ok());
      it->second = digest;
      ++it;
    } else if (i % 3 == 1) {
      REQUIRE(live.Remove(it->first, it->second).ok());
      it = replica.erase(it);
    } else {
      ++it;
    }
  }
  CHECK(live.RootHash() == TreeOf(replica, kWrapping).RootHash());

  // A key added twice (a missed Remove) leaves the tree differing from both the tree with the key
  // once and the tree without it; XOR would have made it equal to the latter.
  MerkleTree once = MustCreate(kWholeRing);
  MerkleTree twice = MustCreate(kWholeRing);
  REQUIRE(once.Add("k", 7).ok());
  REQUIRE(twice.Add("k", 7).ok());
  REQUIRE(twice.Add("k", 7).ok());
  CHECK(twice.RootHash() != once.RootHash());
  CHECK(twice.RootHash() != MustCreate(kWholeRing).RootHash());
}

TEST_CASE("merkle tree: the leaf combination sees two keys swap their digests") {
  // Two keys in the same leaf, so that only the leaf's combination can tell them apart.
  MerkleTree probe = MustCreate(kWholeRing);
  std::map<uint32_t, std::string> first_key_of_leaf;
  std::string a;
  std::string b;
  for (int i = 0; a.empty(); ++i) {
    std::string key = Numbered("swap-", i);
    auto [it, inserted] = first_key_of_leaf.emplace(*probe.LeafOfKey(key), key);
    if (!inserted) {
      a = it->second;
      b = key;
    }
  }
  REQUIRE(probe.LeafOfKey(a) == probe.LeafOfKey(b));
  constexpr uint64_t kX = 0x1111;
  constexpr uint64_t kY = 0x2222;
  MerkleTree straight = MustCreate(kWholeRing);
  MerkleTree swapped = MustCreate(kWholeRing);
  REQUIRE(straight.Add(a, kX).ok());
  REQUIRE(straight.Add(b, kY).ok());
  REQUIRE(swapped.Add(a, kY).ok());
  REQUIRE(swapped.Add(b, kX).ok());
  CHECK(straight.RootHash() != swapped.RootHash());
  auto diff = DiffTrees(straight, swapped);
  REQUIRE(diff.ok());
  CHECK(diff->differing_leaves == std::vector<uint32_t>{*probe.LeafOfKey(a)});

  // Why the entry hashes key and digest together: combining them linearly would miss the swap.
  auto linear = [](std::string_view key, uint64_t digest) { return Hash64(key) ^ digest; };
  CHECK((linear(a, kX) ^ linear(b, kY)) == (linear(a, kY) ^ linear(b, kX)));
}

TEST_CASE("merkle tree: build and diff find exactly the differing keys (randomised, seeded)") {
  constexpr uint64_t kSeed = 20240611;
  std::printf("merkle diff seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  for (TokenRange range : {kWholeRing, kWrapping, TokenRange{1000, 0x8000'0000'0000'0000ULL}}) {
    for (int round = 0; round < 3; ++round) {
      CAPTURE(range.start);
      CAPTURE(range.end);
      CAPTURE(round);
      const Replica mine = RandomReplica(rng, range, 10'000);
      Replica theirs = mine;
      std::set<std::string> changed, removed, added;
      // About 1%, 3% and 5% of the keys drift: a changed digest, a key missing, a key extra.
      const uint64_t percent = 1 + 2 * round;
      for (const auto& [key, digest] : mine) {
        uint64_t roll = rng() % 300;
        if (roll < percent) {
          theirs[key] = digest + 1 + rng() % 1000;
          changed.insert(key);
        } else if (roll < 2 * percent) {
          theirs.erase(key);
          removed.insert(key);
        } else if (roll < 3 * percent) {
          std::string extra = key + "-extra";
          if (!range.Contains(KeyToken(extra))) continue;
          theirs[extra] = rng();
          added.insert(extra);
        }
      }
      std::set<std::string> expected;
      expected.insert(changed.begin(), changed.end());
      expected.insert(removed.begin(), removed.end());
      expected.insert(added.begin(), added.end());
      REQUIRE(expected.size() > 0);

      const MerkleTree my_tree = TreeOf(mine, range);
      const MerkleTree their_tree = TreeOf(theirs, range);
      auto diff = DiffTrees(my_tree, their_tree);
      REQUIRE(diff.ok());
      const size_t k = diff->differing_leaves.size();
      CHECK(k <= expected.size());
      CHECK(diff->levels_compared == my_tree.depth() + 1);
      CHECK(diff->nodes_compared <= 1 + 2 * k * static_cast<size_t>(my_tree.depth()));

      KeyDifferences keys = DifferingKeys(KeysOfLeaves(mine, my_tree, diff->differing_leaves),
                                          KeysOfLeaves(theirs, their_tree, diff->differing_leaves));
      std::vector<std::string> all = keys.All();
      CHECK(std::vector<std::string>(expected.begin(), expected.end()) == all);
      CHECK(std::set<std::string>(keys.different.begin(), keys.different.end()) == changed);
      CHECK(std::set<std::string>(keys.only_mine.begin(), keys.only_mine.end()) == removed);
      CHECK(std::set<std::string>(keys.only_theirs.begin(), keys.only_theirs.end()) == added);
    }
  }
}

TEST_CASE("merkle diff: compares only the subtrees that differ") {
  std::mt19937_64 rng(3);
  const Replica mine = RandomReplica(rng, kWholeRing, 10'000);
  const MerkleTree my_tree = TreeOf(mine, kWholeRing);

  auto same = DiffTrees(my_tree, TreeOf(mine, kWholeRing));
  REQUIRE(same.ok());
  CHECK(same->differing_leaves.empty());
  CHECK(same->nodes_compared == 1);  // the roots agree: nothing below is looked at
  CHECK(same->levels_compared == 1);

  // One differing key: one path from the root, two children per level below it.
  Replica one_off = mine;
  one_off.begin()->second ^= 0xff;
  auto one = DiffTrees(my_tree, TreeOf(one_off, kWholeRing));
  REQUIRE(one.ok());
  CHECK(one->differing_leaves == std::vector<uint32_t>{*my_tree.LeafOfKey(mine.begin()->first)});
  CHECK(one->nodes_compared == 1 + 2 * static_cast<size_t>(my_tree.depth()));

  // k differing keys: at most k paths. Far below the 2^(depth+1) - 1 nodes of the whole tree.
  for (size_t k : {5, 50}) {
    Replica drifted = mine;
    auto it = drifted.begin();
    for (size_t i = 0; i < k; ++i, std::advance(it, 100)) it->second ^= 1;
    auto diff = DiffTrees(my_tree, TreeOf(drifted, kWholeRing));
    REQUIRE(diff.ok());
    CHECK(!diff->differing_leaves.empty());
    CHECK(diff->differing_leaves.size() <= k);
    CHECK(diff->nodes_compared <= 1 + 2 * k * static_cast<size_t>(my_tree.depth()));
  }
}

TEST_CASE("merkle diff: trees of different shapes are never compared") {
  const MerkleTree tree = MustCreate(kWholeRing, 8);
  CHECK(DiffTrees(tree, MustCreate(kWholeRing, 9)).status().Is(ErrorCode::kInvalidArgument));
  CHECK(DiffTrees(tree, MustCreate(kWrapping, 8)).status().Is(ErrorCode::kInvalidArgument));

  MerkleLevelHashes bad{kWholeRing, 8, 9, {}};  // a level below the leaves
  CHECK(DifferingNodes(tree, bad).status().Is(ErrorCode::kInvalidArgument));
  bad = {kWholeRing, 8, 1, {{2, 0}}};  // level 1 has nodes 0 and 1 only
  CHECK(DifferingNodes(tree, bad).status().Is(ErrorCode::kInvalidArgument));
  bad = {kWholeRing, 8, 1, {{1, 0}, {0, 0}}};  // out of order
  CHECK(DifferingNodes(tree, bad).status().Is(ErrorCode::kInvalidArgument));
  auto good = DifferingNodes(tree, {kWholeRing, 8, 1, {{0, 0}, {1, tree.NodeHash(1, 1)}}});
  REQUIRE(good.ok());
  CHECK(*good == std::vector<uint32_t>{0});

  std::vector<uint32_t> outside = {256};
  CHECK(tree.LevelHashes(8, outside).status().Is(ErrorCode::kInvalidArgument));
  CHECK(tree.LevelHashes(9, {}).status().Is(ErrorCode::kInvalidArgument));
  CHECK(tree.LevelHashes(-1, {}).status().Is(ErrorCode::kInvalidArgument));
  std::vector<uint32_t> repeated = {3, 1, 3};
  auto answer = tree.LevelHashes(2, repeated);
  REQUIRE(answer.ok());
  REQUIRE(answer->nodes.size() == 2);
  CHECK(answer->nodes[0] == MerkleNodeHash{1, tree.NodeHash(2, 1)});
  CHECK(answer->nodes[1] == MerkleNodeHash{3, tree.NodeHash(2, 3)});

  CHECK(MerkleTree::Create(kWholeRing, -1).status().Is(ErrorCode::kInvalidArgument));
  CHECK(
      MerkleTree::Create(kWholeRing, kMaxMerkleDepth + 1).status().Is(ErrorCode::kInvalidArgument));
  CHECK(MerkleTree::Create(kWholeRing, 0).ok());
  CHECK(ChildrenOf(std::vector<uint32_t>{0, 5}) == std::vector<uint32_t>{0, 1, 10, 11});
}

TEST_CASE("merkle tree: leaves split a wrapping range into equal buckets in ring order") {
  // 3 tokens a leaf at depth 4, from 2^64 - 20 across 0: (start, end] = 48 tokens.
  const TokenRange range{~uint64_t{0} - 20, 27};
  const MerkleTree tree = MustCreate(range, 4);
  std::vector<int> per_leaf(tree.leaf_count());
  std::optional<uint32_t> previous;
  for (Token t = range.start + 1; t != range.end + 1; ++t) {
    std::optional<uint32_t> leaf = tree.LeafOf(t);
    REQUIRE(leaf.has_value());
    if (previous) CHECK(*leaf >= *previous);  // buckets follow the ring clockwise
    previous = leaf;
    ++per_leaf[*leaf];
  }
  CHECK(std::all_of(per_leaf.begin(), per_leaf.end(), [](int n) { return n == 3; }));
  CHECK(tree.LeafOf(range.start + 1) == 0u);
  CHECK(tree.LeafOf(0) == 6u);  // the 21st token of the range
  CHECK(tree.LeafOf(range.end) == 15u);
  CHECK_FALSE(tree.LeafOf(range.start).has_value());  // (start, end]: start is outside
  CHECK_FALSE(tree.LeafOf(range.end + 1).has_value());
  CHECK_FALSE(tree.LeafOf(1000).has_value());

  // The whole ring: the top bits of the token.
  const MerkleTree ring = MustCreate(kWholeRing, 10);
  CHECK(ring.LeafOf(1) == 0u);
  CHECK(ring.LeafOf(0) == 1023u);  // (0, 0] ends with 0 = 2^64
  CHECK(ring.LeafOf(uint64_t{1} << 63) == 511u);
  CHECK(MustCreate(kWrapping, 0).LeafOf(0) == 0u);
}

TEST_CASE("merkle tree: a key outside the range is refused and changes nothing") {
  MerkleTree tree = MustCreate(kWrapping);
  std::string inside;
  std::string outside;
  for (int i = 0; inside.empty() || outside.empty(); ++i) {
    std::string key = Numbered("k", i);
    (kWrapping.Contains(KeyToken(key)) ? inside : outside) = key;
  }
  REQUIRE(tree.Add(inside, 1).ok());
  const uint64_t root = tree.RootHash();
  CHECK(tree.Add(outside, 1).Is(ErrorCode::kInvalidArgument));
  CHECK(tree.Remove(outside, 1).Is(ErrorCode::kInvalidArgument));
  CHECK(tree.Update(outside, 1, 2).Is(ErrorCode::kInvalidArgument));
  CHECK_FALSE(tree.LeafOfKey(outside).has_value());
  CHECK(tree.RootHash() == root);
}

TEST_CASE("merkle diff: DifferingKeys names exactly the keys on one side or with other digests") {
  KeyDifferences d = DifferingKeys({{"b", 2}, {"a", 1}, {"c", 3}, {"a", 1}, {"e", 5}},
                                   {{"a", 1}, {"c", 4}, {"d", 4}, {"e", 5}, {"e", 6}});
  CHECK(d.only_mine == std::vector<std::string>{"b"});
  CHECK(d.only_theirs == std::vector<std::string>{"d"});
  CHECK(d.different == std::vector<std::string>{"c", "e"});  // e: {5} against {5, 6}
  CHECK(d.All() == std::vector<std::string>{"b", "c", "d", "e"});
  CHECK(DifferingKeys({{"x", 1}}, {{"x", 1}}).empty());
  CHECK(DifferingKeys({}, {}).empty());
}

TEST_CASE("merkle tree: sibling digests are equal for equal sets, whatever the order of adding") {
  Version v1;
  v1.dot = {1, 1};
  v1.value = "one";
  Version v2;
  v2.dot = {2, 1};
  v2.value = "two";
  SiblingSet forward;
  forward.Add(v1);
  forward.Add(v2);
  SiblingSet backward;
  backward.Add(v2);
  backward.Add(v1);
  CHECK(SiblingDigest(forward) == SiblingDigest(backward));
  CHECK(SiblingDigest(forward) == EncodedSiblingDigest(forward.Encode()));
  SiblingSet only_one;
  only_one.Add(v1);
  CHECK(SiblingDigest(only_one) != SiblingDigest(forward));
}

MerkleLevelHashes SampleLevel() {
  MerkleTree tree = MustCreate(kWrapping, 6);
  for (int i = 0; i < 200; ++i) (void)tree.Add(Numbered("s", i), i);  // outside: ignored
  std::vector<uint32_t> nodes = {0, 3, 17, 63};
  auto level = tree.LevelHashes(6, nodes);
  REQUIRE(level.ok());
  return *level;
}

TEST_CASE("merkle messages: a level round-trips — every truncation and bad field is Corruption") {
  const MerkleLevelHashes level = SampleLevel();
  const std::string bytes = EncodeMerkleLevelHashes(level);
  auto decoded = DecodeMerkleLevelHashes(bytes);
  REQUIRE(decoded.ok());
  CHECK(*decoded == level);
  MerkleLevelHashes empty{kWholeRing, 0, 0, {}};
  auto e = DecodeMerkleLevelHashes(EncodeMerkleLevelHashes(empty));
  REQUIRE(e.ok());
  CHECK(*e == empty);

  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeMerkleLevelHashes(std::string_view(bytes).substr(0, n));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().Is(ErrorCode::kCorruption));
  }
  CHECK(DecodeMerkleLevelHashes(bytes + "x").status().Is(ErrorCode::kCorruption));

  auto refused = [](MerkleLevelHashes m) {
    return DecodeMerkleLevelHashes(EncodeMerkleLevelHashes(m)).status().Is(ErrorCode::kCorruption);
  };
  MerkleLevelHashes m = level;
  m.depth = kMaxMerkleDepth + 1;
  m.level = 0;
  m.nodes = {};
  CHECK(refused(m));
  m = level;
  m.level = m.depth + 1;
  CHECK(refused(m));
  m = level;
  m.nodes[1].index = 64;  // level 6 has 64 nodes
  CHECK(refused(m));
  m = level;
  std::swap(m.nodes[0], m.nodes[1]);
  CHECK(refused(m));
  m = level;
  m.nodes[1].index = m.nodes[0].index;  // repeated
  CHECK(refused(m));
  m = {kWholeRing, 1, 1, {{0, 1}, {1, 2}, {1, 3}}};  // more nodes than level 1 holds
  CHECK(refused(m));

  std::string wrong_version = bytes;
  wrong_version[0] = 2;
  CHECK(DecodeMerkleLevelHashes(wrong_version).status().Is(ErrorCode::kCorruption));
  // A count the bytes cannot hold is refused before allocating.
  std::string header = bytes.substr(0, 19);
  std::string huge = header + std::string{static_cast<char>(0xff), static_cast<char>(0xff),
                                          static_cast<char>(0xff), static_cast<char>(0xff), 0x0f};
  CHECK(DecodeMerkleLevelHashes(huge).status().Is(ErrorCode::kCorruption));
}

// What a decoder may accept: only a well-formed level, which survives its own round trip.
void CheckWellFormed(const MerkleLevelHashes& m) {
  REQUIRE(m.depth <= kMaxMerkleDepth);
  REQUIRE(m.level <= m.depth);
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    REQUIRE(m.nodes[i].index < (uint64_t{1} << m.level));
    if (i > 0) REQUIRE(m.nodes[i].index > m.nodes[i - 1].index);
  }
  auto again = DecodeMerkleLevelHashes(EncodeMerkleLevelHashes(m));
  REQUIRE(again.ok());
  CHECK(*again == m);
}

TEST_CASE("merkle messages: random corruption and random bytes never crash (seeded)") {
  constexpr uint64_t kSeed = 777;
  std::printf("merkle decode fuzz seed %llu\n", static_cast<unsigned long long>(kSeed));
  std::mt19937_64 rng(kSeed);
  const std::string good = EncodeMerkleLevelHashes(SampleLevel());
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) bytes.resize(rng() % (bytes.size() + 1));
    auto r = DecodeMerkleLevelHashes(bytes);
    if (r.ok()) {
      ++decoded;
      CheckWellFormed(*r);
    } else {
      CHECK(r.status().Is(ErrorCode::kCorruption));
    }
  }
  int random_decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    // Get past the version, and in half the cases past the depth and level checks too, so that
    // the count and the nodes see random bytes.
    if (!bytes.empty()) bytes[0] = static_cast<char>(kMerkleFormatVersion);
    if (bytes.size() >= 20 && rng() % 2 == 0) {
      const int depth = static_cast<int>(rng() % (kMaxMerkleDepth + 1));
      bytes[17] = static_cast<char>(depth);
      bytes[18] = static_cast<char>(rng() % (depth + 1));
      bytes[19] = static_cast<char>(rng() % 8);  // a small count
    }
    auto r = DecodeMerkleLevelHashes(bytes);
    if (r.ok()) {
      ++random_decoded;
      CheckWellFormed(*r);
    } else {
      CHECK(r.status().Is(ErrorCode::kCorruption));
    }
  }
  MESSAGE("decoded " << decoded << " of 20000 corrupted levels and " << random_decoded
                     << " of 20000 random ones (the rest refused)");
}

// Not a check: the measurements quoted in merkle_tree.h. Run with
//   kv_tests -tc='merkle cost*' --no-skip
TEST_CASE("merkle cost: build of 100k keys against incremental updates" * doctest::skip()) {
  using Clock = std::chrono::steady_clock;
  auto micros = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::duration<double, std::micro>>(d).count();
  };
  std::mt19937_64 rng(9);
  std::vector<std::string> keys;
  for (int i = 0; i < 100'000; ++i) keys.push_back(Numbered("user:", rng()));
  std::vector<uint64_t> digests(keys.size());
  for (uint64_t& d : digests) d = rng();

  for (int depth : {10, 15, 20}) {
    double best_build = 1e18;
    double best_update = 1e18;
    for (int rep = 0; rep < 5; ++rep) {
      auto t0 = Clock::now();
      MerkleTree tree = MustCreate(kWholeRing, depth);
      for (size_t i = 0; i < keys.size(); ++i) (void)tree.Add(keys[i], digests[i]);
      auto t1 = Clock::now();
      for (size_t i = 0; i < keys.size(); ++i) (void)tree.Update(keys[i], digests[i], i);
      auto t2 = Clock::now();
      best_build = std::min(best_build, micros(t1 - t0));
      best_update = std::min(best_update, micros(t2 - t1) / static_cast<double>(keys.size()));
      REQUIRE(tree.RootHash() != 0);
    }
    std::printf("depth %2d: build of 100k keys %.0f us (%.2f us a key); one Update %.3f us\n",
                depth, best_build, best_build / 1e5, best_update);
  }
  // The digest, which a rebuild must compute for every key and an update for two sets.
  for (size_t value_bytes : {100, 4096, 1 << 20}) {
    SiblingSet set;
    Version v;
    v.dot = {1, 1};
    v.value = std::string(value_bytes, 'v');
    set.Add(v);
    const std::string encoded = set.Encode();
    const int reps = value_bytes > 10'000 ? 200 : 100'000;
    uint64_t sink = 0;
    auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i) sink += EncodedSiblingDigest(encoded);
    auto t1 = Clock::now();
    std::printf("digest of an encoded set with a %zu-byte value: %.3f us (%llu)\n", value_bytes,
                micros(t1 - t0) / reps, static_cast<unsigned long long>(sink & 1));
  }
}

}  // namespace
}  // namespace kv
