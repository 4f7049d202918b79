// WorkloadKeys: the keys and values every kvbench workload uses, made from an index and a seed
// so that a later run (readrandom after fillrandom, in another process) regenerates exactly the
// keys an earlier one wrote. Key i is i in decimal, zero-padded to the key size, so the keys of
// fillseq arrive in sorted order; a missing key is the same digits ending in 'x', inside the
// written key range (so only the bloom filter, not the range check, can skip it). Values are
// slices of one seeded buffer: random printable bytes (what compression barely shrinks), or
// JSON-like text records (what a document store holds, and compression is for).
//
// Threads: immutable after construction; safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"

namespace kv::bench {

enum class ValueKind { kRandom, kText };
// "random" | "text"
Result<ValueKind> ParseValueKind(std::string_view name);

class WorkloadKeys {
 public:
  // InvalidArgument when key_size cannot hold the digits of num - 1 (plus one for missing keys).
  static Result<WorkloadKeys> Make(uint64_t num, size_t key_size, size_t value_size, uint64_t seed,
                                   ValueKind values = ValueKind::kRandom);

  uint64_t num() const { return num_; }
  size_t key_size() const { return key_size_; }
  size_t value_size() const { return value_size_; }
  uint64_t seed() const { return seed_; }

  // Writes key `index` (< num) into *out, reusing its buffer.
  void KeyAt(uint64_t index, std::string* out) const;
  // A key that no fill writes, between KeyAt(index) and KeyAt(index + 1).
  void MissingKeyAt(uint64_t index, std::string* out) const;
  // The value written for operation `op`: a view into the shared random buffer.
  std::string_view ValueFor(uint64_t op) const;

  // 0..num-1 in the seeded random order fillrandom writes them (each key once).
  std::vector<uint64_t> RandomOrder() const;

 private:
  WorkloadKeys() = default;

  uint64_t num_ = 0;
  size_t key_size_ = 16;
  size_t value_size_ = 100;
  uint64_t seed_ = 0;
  std::string value_pool_;
};

// A small generator for the read workloads' random indexes (splitmix64: fast, seedable, one per
// worker thread).
class IndexSequence {
 public:
  explicit IndexSequence(uint64_t seed) : state_(seed) {}
  uint64_t Next(uint64_t bound);
  // Uniform in [0, 1), 53 bits.
  double NextUnit();

 private:
  uint64_t NextBits();
  uint64_t state_;
};

// How the YCSB-style workloads pick a key among 0..n-1.
//   uniform  every key equally likely;
//   zipfian  YCSB's scrambled zipfian: rank r is drawn with probability proportional to
//            1 / (r+1)^0.99 (Gray et al.'s generator, as YCSB's ZipfianGenerator), then hashed
//            (FNV-1a 64) onto a key, so that the popular keys are spread over the key space
//            rather than being the first ones (the hot keys of an LSM store would otherwise all
//            sit in one table).
enum class KeyDistribution { kUniform, kZipfian };
// InvalidArgument naming the choices for an unknown name.
Result<KeyDistribution> ParseKeyDistribution(std::string_view name);
std::string_view KeyDistributionName(KeyDistribution distribution);

inline constexpr double kZipfianConstant = 0.99;  // YCSB's

// Threads: immutable after construction (the O(n) zeta sum is computed once); share one among
// workers, each drawing with its own IndexSequence.
class KeyChooser {
 public:
  // REQUIRES: n >= 1; 0 < theta < 1.
  KeyChooser(KeyDistribution distribution, uint64_t n, double theta = kZipfianConstant);

  uint64_t n() const { return n_; }
  KeyDistribution distribution() const { return distribution_; }
  uint64_t Next(IndexSequence& random) const;
  // The zipfian rank before scrambling (0 is the most popular); for tests.
  uint64_t NextRank(IndexSequence& random) const;

 private:
  KeyDistribution distribution_;
  uint64_t n_;
  double theta_ = 0, alpha_ = 0, zeta_n_ = 0, eta_ = 0, half_pow_theta_ = 0;
};

}  // namespace kv::bench
