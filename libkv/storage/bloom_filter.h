// Bloom filter over a table's keys (docs/formats.md, "SSTable", filter block): m bits, k probes
// by double hashing over Hash64 (seed 0), k = round(bits_per_key * ln 2). The builder belongs to
// one TableWriter; a parsed BloomFilter is immutable and safe to query from many threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

// (1 - e^(-k n / m))^k, the usual estimate for n keys in m bits with k probes.
double BloomExpectedFalsePositiveRate(uint64_t bits, uint64_t keys, int hash_count);

class BloomFilterBuilder {
 public:
  explicit BloomFilterBuilder(int bits_per_key);
  void AddKey(std::string_view key);
  // The filter block's contents for every key added.
  std::string Finish() const;
  uint64_t keys() const { return hashes_.size(); }

 private:
  int bits_per_key_;
  std::vector<uint64_t> hashes_;
};

class BloomFilter {
 public:
  // Parses a filter block's contents; nullopt when they are malformed.
  static std::optional<BloomFilter> Parse(std::string contents);

  size_t MemoryUsage() const { return contents_.capacity(); }
  bool MayContain(std::string_view key) const;
  uint64_t bits() const { return bits_; }
  int hash_count() const { return hash_count_; }
  uint64_t keys() const { return keys_; }

 private:
  BloomFilter() = default;
  std::string contents_;
  size_t array_offset_ = 0;  // where the bit array starts in contents_ (an offset: moves keep it)
  uint64_t bits_ = 0;
  int hash_count_ = 0;
  uint64_t keys_ = 0;
};

}  // namespace kv
