// Constants of the Merkle-tree anti-entropy formats: the hashes two replicas must compute alike
// and the wire encoding of one level's node hashes. docs/formats.md, "Merkle tree".
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv {

// The first byte of an encoded level of node hashes.
inline constexpr uint8_t kMerkleFormatVersion = 1;

// Leaves are 2^depth equal-width buckets of the range's tokens. 10 (1,024 leaves, 16 KiB of
// hashes per tree) is the default and the least a session uses (MerkleDepthFor); see
// libkv/antientropy/merkle_tree.h for why.
inline constexpr int kDefaultMerkleDepth = 10;
// 2^20 leaves: 16 MiB of hashes per tree. Also what a decoder accepts.
inline constexpr int kMaxMerkleDepth = 20;

// Hash64 seeds, one per use, so that no hash of one kind can be mistaken for another kind's.
// sibling digest := Hash64(encoded sibling set, kSiblingDigestSeed)
inline constexpr uint64_t kSiblingDigestSeed = 0x7369626c;  // "sibl"
// entry hash := Hash64(key || fixed64 sibling digest, kMerkleEntrySeed)
inline constexpr uint64_t kMerkleEntrySeed = 0x6d6b6c65;  // "mkle"
// inner node hash := Hash64(fixed64 left child || fixed64 right child, kMerkleNodeSeed)
inline constexpr uint64_t kMerkleNodeSeed = 0x6d6b6c6e;  // "mkln"

// Smallest encoding of one node (varint32 index of 1 byte + fixed64 hash), used to check a
// count against the bytes left before allocating.
inline constexpr size_t kMinMerkleNodeBytes = 9;

}  // namespace kv
