// The wire encoding of some nodes of one level of a Merkle tree (MerkleLevelHashes), what two
// replicas exchange in an anti-entropy session (merkle_diff.h). Hand-coded like the gossip
// messages: docs/formats.md, "Merkle tree". Pure encode and decode; any thread.
#pragma once

#include <string>
#include <string_view>

#include "libkv/antientropy/merkle_tree.h"
#include "libkv/base/status.h"

namespace kv {

// REQUIRES: `level` is well formed, as MerkleTree::LevelHashes makes it (0 <= level <= depth <=
// kMaxMerkleDepth, indices strictly ascending and below 2^level); otherwise the bytes are
// ones Decode refuses.
std::string EncodeMerkleLevelHashes(const MerkleLevelHashes& level);

// Corruption on anything malformed (another format version, truncation, a depth or level out of
// bounds, a count the bytes or the level cannot hold, an index out of order or outside the level,
// trailing bytes); never crashes, never allocates past what the input justifies.
Result<MerkleLevelHashes> DecodeMerkleLevelHashes(std::string_view bytes);

}  // namespace kv
