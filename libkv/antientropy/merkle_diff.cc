#include "libkv/antientropy/merkle_diff.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace kv {

Result<std::vector<uint32_t>> DifferingNodes(const MerkleTree& mine,
                                             const MerkleLevelHashes& theirs) {
  if (theirs.range != mine.range() || theirs.depth != mine.depth()) {
    return Status::InvalidArgument(
        "merkle diff: the trees differ in range or depth (theirs has depth " +
        std::to_string(theirs.depth) + ", mine " + std::to_string(mine.depth()) + ")");
  }
  if (theirs.level < 0 || theirs.level > mine.depth()) {
    return Status::InvalidArgument("merkle diff: level " + std::to_string(theirs.level) +
                                   " outside a tree of depth " + std::to_string(mine.depth()));
  }
  const uint64_t level_size = uint64_t{1} << theirs.level;
  std::vector<uint32_t> differing;
  for (size_t i = 0; i < theirs.nodes.size(); ++i) {
    const MerkleNodeHash& node = theirs.nodes[i];
    if (node.index >= level_size || (i > 0 && node.index <= theirs.nodes[i - 1].index)) {
      return Status::InvalidArgument("merkle diff: node " + std::to_string(node.index) +
                                     " out of order or outside level " +
                                     std::to_string(theirs.level));
    }
    if (mine.NodeHash(theirs.level, node.index) != node.hash) differing.push_back(node.index);
  }
  return differing;
}

std::vector<uint32_t> ChildrenOf(std::span<const uint32_t> nodes) {
  std::vector<uint32_t> children;
  children.reserve(2 * nodes.size());
  for (uint32_t node : nodes) {
    children.push_back(2 * node);
    children.push_back(2 * node + 1);
  }
  return children;
}

Result<MerkleTreeDiff> DiffTrees(const MerkleTree& mine, const MerkleTree& theirs) {
  MerkleTreeDiff diff;
  std::vector<uint32_t> nodes = {0};
  for (int level = 0;; ++level) {
    KV_ASSIGN_OR_RETURN(MerkleLevelHashes their_hashes, theirs.LevelHashes(level, nodes));
    KV_ASSIGN_OR_RETURN(std::vector<uint32_t> differing, DifferingNodes(mine, their_hashes));
    diff.nodes_compared += their_hashes.nodes.size();
    diff.levels_compared = level + 1;
    if (differing.empty()) return diff;
    if (level == mine.depth()) {
      diff.differing_leaves = std::move(differing);
      return diff;
    }
    nodes = ChildrenOf(differing);
  }
}

std::vector<std::string> KeyDifferences::All() const {
  std::vector<std::string> all;
  all.reserve(only_mine.size() + only_theirs.size() + different.size());
  all.insert(all.end(), only_mine.begin(), only_mine.end());
  all.insert(all.end(), only_theirs.begin(), only_theirs.end());
  all.insert(all.end(), different.begin(), different.end());
  std::sort(all.begin(), all.end());
  return all;
}

namespace {

void SortUnique(std::vector<KeyDigest>* list) {
  auto by_key_then_digest = [](const KeyDigest& a, const KeyDigest& b) {
    return std::tie(a.key, a.digest) < std::tie(b.key, b.digest);
  };
  std::sort(list->begin(), list->end(), by_key_then_digest);
  list->erase(std::unique(list->begin(), list->end()), list->end());
}

// The end of the run of entries with the same key as list[begin].
size_t EndOfKey(const std::vector<KeyDigest>& list, size_t begin) {
  size_t end = begin + 1;
  while (end < list.size() && list[end].key == list[begin].key) ++end;
  return end;
}

}  // namespace

KeyDifferences DifferingKeys(std::vector<KeyDigest> mine, std::vector<KeyDigest> theirs) {
  SortUnique(&mine);
  SortUnique(&theirs);
  KeyDifferences out;
  size_t i = 0;
  size_t j = 0;
  while (i < mine.size() || j < theirs.size()) {
    if (j == theirs.size() || (i < mine.size() && mine[i].key < theirs[j].key)) {
      out.only_mine.push_back(mine[i].key);
      i = EndOfKey(mine, i);
    } else if (i == mine.size() || theirs[j].key < mine[i].key) {
      out.only_theirs.push_back(theirs[j].key);
      j = EndOfKey(theirs, j);
    } else {
      const size_t mine_end = EndOfKey(mine, i);
      const size_t theirs_end = EndOfKey(theirs, j);
      // Both runs are sorted by digest without repeats, so equal runs mean equal digest sets.
      if (!std::equal(mine.begin() + i, mine.begin() + mine_end, theirs.begin() + j,
                      theirs.begin() + theirs_end)) {
        out.different.push_back(mine[i].key);
      }
      i = mine_end;
      j = theirs_end;
    }
  }
  return out;
}

}  // namespace kv
