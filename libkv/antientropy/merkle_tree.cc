#include "libkv/antientropy/merkle_tree.h"

#include <algorithm>
#include <string>

#include "libkv/base/coding.h"
#include "libkv/base/hash.h"

namespace kv {

namespace {

uint64_t HashChildren(uint64_t left, uint64_t right) {
  char bytes[16];
  EncodeFixed64(bytes, left);
  EncodeFixed64(bytes + 8, right);
  return Hash64(std::string_view(bytes, sizeof(bytes)), kMerkleNodeSeed);
}

}  // namespace

uint64_t SiblingDigest(const SiblingSet& set) {
  return EncodedSiblingDigest(set.Encode());
}

uint64_t EncodedSiblingDigest(std::string_view encoded_sibling_set) {
  return Hash64(encoded_sibling_set, kSiblingDigestSeed);
}

int MerkleDepthFor(size_t keys) {
  int depth = kDefaultMerkleDepth;
  while (depth < kMaxMerkleDepth && (keys >> depth) > kMerkleKeysPerLeaf) ++depth;
  return depth;
}

uint64_t MerkleEntryHash(std::string_view key, uint64_t sibling_digest) {
  // A rebuild hashes every key of a range: keep the usual short key off the heap.
  char small[256];
  if (key.size() + 8 <= sizeof(small)) {
    std::copy(key.begin(), key.end(), small);
    EncodeFixed64(small + key.size(), sibling_digest);
    return Hash64(std::string_view(small, key.size() + 8), kMerkleEntrySeed);
  }
  std::string bytes;
  bytes.reserve(key.size() + 8);
  bytes.append(key);
  PutFixed64(&bytes, sibling_digest);
  return Hash64(bytes, kMerkleEntrySeed);
}

Result<MerkleTree> MerkleTree::Create(TokenRange range, int depth) {
  if (depth < 0 || depth > kMaxMerkleDepth) {
    return Status::InvalidArgument("merkle tree depth " + std::to_string(depth) +
                                   " is outside 0.." + std::to_string(kMaxMerkleDepth));
  }
  return MerkleTree(range, depth);
}

MerkleTree::MerkleTree(TokenRange range, int depth)
    : range_(range), depth_(depth), nodes_((size_t{2} << depth) - 1) {
  // Every node of a level of an empty tree has the same hash, so one hash per level suffices.
  uint64_t level_hash = 0;  // an empty leaf: the sum of no entries
  for (int level = depth; level >= 0; --level) {
    std::fill_n(nodes_.begin() + static_cast<std::ptrdiff_t>(Position(level, 0)),
                size_t{1} << level, level_hash);
    level_hash = HashChildren(level_hash, level_hash);
  }
}

std::optional<uint32_t> MerkleLeafOf(const TokenRange& range, int depth, Token token) {
  if (!range.Contains(token)) return std::nullopt;
  // The token's clockwise distance past start, in [0, width): unsigned subtraction wraps.
  const uint64_t offset = token - range.start - 1;
  // start == end is the whole ring, 2^64 tokens, which needs the 128-bit width.
  const unsigned __int128 width = range.start == range.end
                                      ? static_cast<unsigned __int128>(1) << 64
                                      : static_cast<unsigned __int128>(range.end - range.start);
  return static_cast<uint32_t>((static_cast<unsigned __int128>(offset) << depth) / width);
}

std::vector<uint64_t> FoldLeafSums(std::span<const uint64_t> leaf_sums) {
  std::vector<uint64_t> folded(leaf_sums.size() / 2);
  for (size_t i = 0; i < folded.size(); ++i) folded[i] = leaf_sums[2 * i] + leaf_sums[2 * i + 1];
  return folded;
}

std::optional<uint32_t> MerkleTree::LeafOf(Token token) const {
  return MerkleLeafOf(range_, depth_, token);
}

Status MerkleTree::Add(std::string_view key, uint64_t sibling_digest) {
  std::optional<uint32_t> leaf = LeafOfKey(key);
  if (!leaf) return Status::InvalidArgument("merkle tree: key outside the tree's token range");
  AddToLeaf(*leaf, MerkleEntryHash(key, sibling_digest));
  return Status::Ok();
}

Status MerkleTree::Remove(std::string_view key, uint64_t sibling_digest) {
  std::optional<uint32_t> leaf = LeafOfKey(key);
  if (!leaf) return Status::InvalidArgument("merkle tree: key outside the tree's token range");
  AddToLeaf(*leaf, uint64_t{0} - MerkleEntryHash(key, sibling_digest));
  return Status::Ok();
}

Status MerkleTree::Update(std::string_view key, uint64_t old_digest, uint64_t new_digest) {
  std::optional<uint32_t> leaf = LeafOfKey(key);
  if (!leaf) return Status::InvalidArgument("merkle tree: key outside the tree's token range");
  AddToLeaf(*leaf, MerkleEntryHash(key, new_digest) - MerkleEntryHash(key, old_digest));
  return Status::Ok();
}

Status MerkleTree::SetLeafSums(std::span<const uint64_t> leaf_sums) {
  if (leaf_sums.size() != leaf_count()) {
    return Status::InvalidArgument("merkle tree: " + std::to_string(leaf_sums.size()) +
                                   " leaf sums for " + std::to_string(leaf_count()) + " leaves");
  }
  std::copy(leaf_sums.begin(), leaf_sums.end(),
            nodes_.begin() + static_cast<std::ptrdiff_t>(Position(depth_, 0)));
  for (int level = depth_ - 1; level >= 0; --level) {
    for (uint32_t index = 0; index < (uint32_t{1} << level); ++index) {
      nodes_[Position(level, index)] = HashChildren(nodes_[Position(level + 1, 2 * index)],
                                                    nodes_[Position(level + 1, 2 * index + 1)]);
    }
  }
  return Status::Ok();
}

void MerkleTree::AddToLeaf(uint32_t leaf, uint64_t delta) {
  nodes_[Position(depth_, leaf)] += delta;
  uint32_t index = leaf;
  for (int level = depth_ - 1; level >= 0; --level) {
    index >>= 1;
    nodes_[Position(level, index)] = HashChildren(nodes_[Position(level + 1, 2 * index)],
                                                  nodes_[Position(level + 1, 2 * index + 1)]);
  }
}

Result<MerkleLevelHashes> MerkleTree::LevelHashes(int level,
                                                  std::span<const uint32_t> indices) const {
  if (level < 0 || level > depth_) {
    return Status::InvalidArgument("merkle tree: level " + std::to_string(level) +
                                   " outside a tree of depth " + std::to_string(depth_));
  }
  std::vector<uint32_t> sorted(indices.begin(), indices.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  if (!sorted.empty() && sorted.back() >= (uint64_t{1} << level)) {
    return Status::InvalidArgument("merkle tree: node " + std::to_string(sorted.back()) +
                                   " outside level " + std::to_string(level));
  }
  MerkleLevelHashes out{range_, depth_, level, {}};
  out.nodes.reserve(sorted.size());
  for (uint32_t index : sorted) out.nodes.push_back({index, NodeHash(level, index)});
  return out;
}

}  // namespace kv
