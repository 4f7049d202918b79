// Comparing two replicas' Merkle trees of one range, top-down, one level at a time, so that the
// integrator can run it over the network: a side sends its hashes of some nodes of a level
// (MerkleTree::LevelHashes, encoded by merkle_messages.h), the other keeps the nodes that differ
// (DifferingNodes) and asks about, or sends its own hashes of, their children (ChildrenOf) only.
// Nodes whose hashes agree are never descended into. At the leaves, the two sides exchange the
// (key, digest) lists of the differing leaves and DifferingKeys names exactly the keys to repair,
// which the replicas then merge by vector clock (SiblingSet::Merge), never by last write.
// Pure functions of values; any thread.
//
// A session, as DiffTrees runs it within one process:
//   level 0, nodes {0}
//   repeat: theirs = other.LevelHashes(level, nodes); differing = DifferingNodes(mine, theirs)
//           if differing is empty: the trees agree on everything below; stop
//           if level == depth: differing are the differing leaves; stop
//           nodes = ChildrenOf(differing); level += 1
// That is depth + 1 round trips at most and, for k differing leaves, at most 1 + 2k * depth node
// hashes compared. Trees may change while a session runs (writes continue): a difference that
// appears or disappears meanwhile is found or dropped by the next session, which is harmless
// because repairing a key is a merge, and merging what agrees changes nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "libkv/antientropy/merkle_tree.h"
#include "libkv/base/status.h"

namespace kv {

// The nodes of `theirs` whose hashes differ from `mine`'s, ascending. InvalidArgument when the
// trees' shapes differ (range or depth: they cannot be compared) or `theirs` names a level or a
// node outside the tree, or repeats a node or is out of order. Nodes `theirs` does not mention
// are not compared: the caller checks that an answer covers what it asked for, if it asked.
Result<std::vector<uint32_t>> DifferingNodes(const MerkleTree& mine,
                                             const MerkleLevelHashes& theirs);

// The children, one level down, of the given nodes: 2i and 2i + 1 for each i, ascending when
// `nodes` is.
std::vector<uint32_t> ChildrenOf(std::span<const uint32_t> nodes);

struct MerkleTreeDiff {
  std::vector<uint32_t> differing_leaves;  // ascending
  size_t nodes_compared = 0;               // node hashes compared, over every level
  int levels_compared = 0;                 // round trips a networked session would have taken
};

// Runs the session above between two trees in one process (tests, and the reference for the
// networked session). InvalidArgument when their shapes differ.
Result<MerkleTreeDiff> DiffTrees(const MerkleTree& mine, const MerkleTree& theirs);

// A key of a leaf as one replica holds it.
struct KeyDigest {
  std::string key;
  uint64_t digest = 0;  // SiblingDigest of its sibling set

  friend bool operator==(const KeyDigest&, const KeyDigest&) = default;
};

// Where two replicas' lists of the keys in the same leaves disagree; each list ascending by key.
// What to do with each: send `only_mine` to them; fetch `only_theirs`; exchange `different` both
// ways, and each side merges what it receives into its sibling set.
struct KeyDifferences {
  std::vector<std::string> only_mine;
  std::vector<std::string> only_theirs;
  std::vector<std::string> different;  // on both sides, with different digests

  // Every differing key, ascending.
  std::vector<std::string> All() const;
  bool empty() const { return only_mine.empty() && only_theirs.empty() && different.empty(); }
};

// Exactly the keys that differ between two lists, in any order. A list is taken as a set of
// (key, digest) pairs: a pair listed twice counts once, and a key listed with two digests on one
// side (which a replica never sends) differs from anything but the same two digests.
KeyDifferences DifferingKeys(std::vector<KeyDigest> mine, std::vector<KeyDigest> theirs);

}  // namespace kv
