#include "libkv/ring/token.h"

#include <cmath>

#include "libkv/base/hash.h"

namespace kv {

Token KeyToken(std::string_view key) {
  return Hash64(key, kRingHashSeed);
}

std::vector<Token> VnodeTokens(std::string_view node_id, int vnodes) {
  std::vector<Token> tokens;
  tokens.reserve(vnodes > 0 ? vnodes : 0);
  std::string name(node_id);
  name += '#';
  const size_t prefix = name.size();
  for (int i = 0; i < vnodes; ++i) {
    name.resize(prefix);
    name += std::to_string(i);
    tokens.push_back(Hash64(name, kRingHashSeed));
  }
  return tokens;
}

bool TokenRange::Contains(Token t) const {
  if (start == end) return true;
  if (start < end) return start < t && t <= end;
  return t > start || t <= end;  // wraps past the top
}

double TokenRange::Fraction() const {
  if (start == end) return 1.0;
  // Unsigned subtraction wraps, which is exactly the clockwise distance.
  return std::ldexp(static_cast<double>(end - start), -64);
}

}  // namespace kv
