// MerkleTree: a hash tree over the keys one replica holds in one token range, each key weighed with
// a digest of its sibling set, so that two replicas of the range can find the keys they disagree
// on by comparing a few hashes instead of every key (docs/formats.md, "Merkle tree", defines every
// hash; two nodes must compute them alike). A plain value: pure, no I/O; not thread-safe, so one
// owner changes it and readers copy it or hold the owner's lock. The diff lives in merkle_diff.h.
//
// Shape. The leaves split the range (start, end] into 2^depth buckets of equal width by token;
// level 0 is the root, level `depth` the leaves, node i of level l has children 2i and 2i+1. A
// leaf's hash is the sum (mod 2^64) of the entry hashes Hash64(key || digest) of its keys; an
// inner node's hash is Hash64 of its two children's hashes.
//
// Which depth. A difference costs depth + 1 round trips of at most two hashes per differing leaf
// per level, then the exchange of every key of each differing leaf; 2^depth leaves cost
// 2^(depth+1) * 8 bytes. At 10 that is 16 KiB a tree and 11 round trips, but a range of 100k
// keys has ~100 keys a leaf, so one drifted key costs a key list of ~100 keys. So a session's
// depth follows the keys (MerkleDepthFor: ~16 a leaf, from 10 up to kMaxMerkleDepth, 20): the
// initiator chooses it from what it holds, and both replicas must use the same range and depth
// (the encoded level carries them and the diff refuses a mismatch). The tree keeps no keys, so its
// memory is 16 bytes a leaf whatever the key count; a scan can sum at the deepest depth it affords
// and fold down once it has counted its keys (FoldLeafSums), which anti-entropy does to keep a
// session's memory within its share (libkv/replication/anti_entropy.h).
//
// Why a sum for the leaf. The leaf must not depend on the order keys arrive in (a replica adds
// them as it scans or writes) and must allow removing a key without the others (incremental
// upkeep), so it is an order-independent, invertible combination: XOR or a sum. XOR cancels a
// pair: an entry added twice by mistake (a missed Remove) vanishes, and the tree then agrees
// with a replica that lacks the key, so that key is never repaired. A sum leaves 2h instead of
// h: the leaf keeps differing, anti-entropy exchanges it and finds nothing to repair, which is
// wasted work but visible, never silent. The key and its digest are hashed together, not
// combined linearly (h(key) ^ digest), because a linear combination cannot see two keys swap
// their digests (the test "the leaf combination sees two keys swap their digests"). Inner nodes
// hash their children (not a sum) so that differences in two leaves cannot cancel above them.
//
// Incremental or rebuilt. Both are supported: Add, Remove and Update keep the tree current in
// O(depth) hashes each; a rebuild is a new tree and an Add per key. Measured (Release, g++ 12,
// on a shared machine with a benchmark on both cores, so upper bounds; the test case
// "merkle cost" in tests/antientropy/merkle_tree_test.cc, skipped by default, reproduces them):
//   depth 10: a tree of 100k keys built by Add in 21 ms (0.21 us a key); one Update 0.21 us
//   depth 15: 27 ms (0.27 us a key); Update 0.29 us   depth 20: 55 ms; Update 0.61 us (16 MiB
//   of hashes no longer fit the caches)
//   the digest of an encoded sibling set: 0.02 us with a 100-byte value, 0.29 us with 4 KiB,
//   54 us with 1 MiB (XXH64 at ~19 GB/s: it costs what the value's bytes cost to read)
// So the tree itself is cheap either way: 100k keys cost ~23 ms of CPU to rebuild, and keeping it
// incrementally adds ~0.2 us plus two digests to a write. What decides is elsewhere: a rebuild
// must read every sibling set of the range from the engine, which orders keys by key and not by
// token (so one pass over the engine should feed every range's tree); an incremental tree must
// be changed by every path that changes a sibling set (put, read repair, handoff, repair itself),
// lives in memory (16 KiB a tree at depth 10, times every range the node replicates), and must
// still be built at start. The recommendation: rebuild on demand for each session, which is
// correct by construction; move to incremental upkeep (with periodic rebuilds, as Riak's AAE
// does) only if measured engine scans make sessions too costly.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "libkv/antientropy/antientropy_format.h"
#include "libkv/base/status.h"
#include "libkv/ring/token.h"
#include "libkv/versioning/sibling_set.h"

namespace kv {

// The digest of a key's sibling set that the tree hashes with the key: equal sets give equal
// digests because SiblingSet::Encode is canonical. The second form takes the encoded bytes, as
// the replica store keeps them, without decoding them.
uint64_t SiblingDigest(const SiblingSet& set);
uint64_t EncodedSiblingDigest(std::string_view encoded_sibling_set);

// The depth for a tree over `keys` keys: about kMerkleKeysPerLeaf keys a leaf, at least
// kDefaultMerkleDepth, at most kMaxMerkleDepth. A differing key costs the key list of its leaf,
// so at a fixed depth 10 a range of 100k keys paid ~100 keys of list per drifted key, and 1% of
// keys drifted made almost every leaf differ: the lists were every key of the range. At ~16 a
// leaf the lists stay near 16 keys per drifted key, for a few more round trips (one a level)
// and larger level answers (two hashes per differing node) while descending.
inline constexpr size_t kMerkleKeysPerLeaf = 16;
int MerkleDepthFor(size_t keys);

// Hash64(key || fixed64 digest, kMerkleEntrySeed): what a key adds to its leaf.
uint64_t MerkleEntryHash(std::string_view key, uint64_t sibling_digest);

// The leaf of a tree of `depth` over `range` whose bucket holds `token` (MerkleTree::LeafOf
// without a tree: a scan that only sorts keys into leaves needs no hashes), or nullopt when the
// token is outside the range. REQUIRES: 0 <= depth <= kMaxMerkleDepth.
std::optional<uint32_t> MerkleLeafOf(const TokenRange& range, int depth, Token token);

// The leaf sums of the same range one level shallower, leaf i the sum of leaves 2i and 2i + 1:
// exact, because leaf i's bucket at depth d - 1 is the union of those two at depth d. So a scan
// can sum its keys at the deepest depth it can afford and choose the depth when it has counted
// them. REQUIRES: an even number of sums (a depth of at least 1).
std::vector<uint64_t> FoldLeafSums(std::span<const uint64_t> leaf_sums);

struct MerkleNodeHash {
  uint32_t index = 0;  // the node's position in its level, 0 .. 2^level - 1
  uint64_t hash = 0;

  friend bool operator==(const MerkleNodeHash&, const MerkleNodeHash&) = default;
};

// Some nodes of one level of a tree: what one replica tells the other. The range and depth come
// along so that trees of different shapes are never compared as if they matched.
struct MerkleLevelHashes {
  TokenRange range;
  int depth = 0;
  int level = 0;
  std::vector<MerkleNodeHash> nodes;  // strictly ascending index, each below 2^level

  friend bool operator==(const MerkleLevelHashes&, const MerkleLevelHashes&) = default;
};

class MerkleTree {
 public:
  // An empty tree over `range` with 2^depth leaves; InvalidArgument unless
  // 0 <= depth <= kMaxMerkleDepth.
  static Result<MerkleTree> Create(TokenRange range, int depth = kDefaultMerkleDepth);

  const TokenRange& range() const { return range_; }
  int depth() const { return depth_; }
  uint32_t leaf_count() const { return uint32_t{1} << depth_; }

  // The leaf whose bucket holds `token`, or nullopt when the token is outside the range.
  std::optional<uint32_t> LeafOf(Token token) const;
  std::optional<uint32_t> LeafOfKey(std::string_view key) const { return LeafOf(KeyToken(key)); }

  // Change the leaf of `key` by its entry. A key whose token is outside the range is refused with
  // InvalidArgument and the tree is unchanged. The tree keeps no keys, so it cannot tell whether
  // a key was added before: the caller adds each key once and removes or updates only what it
  // added, with the digest it added (a slip leaves the leaf differing from a correct replica's:
  // see "Why a sum" above).
  Status Add(std::string_view key, uint64_t sibling_digest);
  Status Remove(std::string_view key, uint64_t sibling_digest);
  Status Update(std::string_view key, uint64_t old_digest, uint64_t new_digest);

  // Sets every leaf at once to the sum of its entry hashes (leaf_sums[i] for leaf i) and hashes
  // each inner node once: a rebuild from a scan adds its keys' MerkleEntryHash into sums by
  // LeafOf, instead of paying Add's `depth` hashes a key. InvalidArgument unless there are
  // leaf_count() sums; the tree is then unchanged.
  Status SetLeafSums(std::span<const uint64_t> leaf_sums);

  uint64_t RootHash() const { return nodes_[0]; }
  // REQUIRES: 0 <= level <= depth(), index < 2^level.
  uint64_t NodeHash(int level, uint32_t index) const { return nodes_[Position(level, index)]; }

  // This tree's hashes of the given nodes of one level, sorted by index without repeats: the
  // answer to a replica that asks for them. InvalidArgument when the level or an index is outside
  // the tree (the request came from elsewhere).
  Result<MerkleLevelHashes> LevelHashes(int level, std::span<const uint32_t> indices) const;

 private:
  MerkleTree(TokenRange range, int depth);

  // Nodes are stored level after level, root first: level l starts at 2^l - 1.
  static size_t Position(int level, uint32_t index) { return (size_t{1} << level) - 1 + index; }
  // Adds `delta` (mod 2^64) to a leaf and rehashes its ancestors.
  void AddToLeaf(uint32_t leaf, uint64_t delta);

  TokenRange range_;
  int depth_ = 0;
  std::vector<uint64_t> nodes_;  // 2^(depth+1) - 1 hashes
};

}  // namespace kv
