// Tokens: positions on the consistent-hash ring, the 2^64 values of a 64-bit hash. A key's token
// and a node's virtual-node tokens are pure functions of their names, so every node computes the
// same ring from the same membership. Pure, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

using Token = uint64_t;

// Ring tokens use their own Hash64 seed: the bloom filters, the memtable index and the update
// stripes hash keys with seed 0, and since a node holds only the keys of its token ranges, the
// same hash would leave those structures a biased slice of hash values.
inline constexpr uint64_t kRingHashSeed = 0x72696e67;  // "ring"

// Hash64(key, kRingHashSeed).
Token KeyToken(std::string_view key);

// The tokens of a node with `vnodes` virtual nodes: Hash64("<node_id>#<i>", kRingHashSeed) for
// i = 0 .. vnodes-1. Deterministic, so a node's tokens need not be stored to be agreed on; gossip
// may still carry them so that other assignments can come later.
std::vector<Token> VnodeTokens(std::string_view node_id, int vnodes);

// The tokens in (start, end], walking clockwise and wrapping past 2^64-1 to 0. start == end is
// the whole ring (an empty range is never produced).
struct TokenRange {
  Token start = 0;
  Token end = 0;

  bool Contains(Token t) const;
  // The range's share of the 2^64 tokens, in (0, 1].
  double Fraction() const;

  friend bool operator==(const TokenRange&, const TokenRange&) = default;
};

}  // namespace kv
