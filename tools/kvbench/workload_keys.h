// WorkloadKeys: the keys and values every kvbench workload uses, made from an index and a seed
// so that a later run (readrandom after fillrandom, in another process) regenerates exactly the
// keys an earlier one wrote. Key i is i in decimal, zero-padded to the key size, so the keys of
// fillseq arrive in sorted order; a missing key is the same digits ending in 'x', inside the
// written key range (so only the bloom filter, not the range check, can skip it). Values are
// slices of one seeded random buffer.
//
// Threads: immutable after construction; safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"

namespace kv::bench {

class WorkloadKeys {
 public:
  // InvalidArgument when key_size cannot hold the digits of num - 1 (plus one for missing keys).
  static Result<WorkloadKeys> Make(uint64_t num, size_t key_size, size_t value_size, uint64_t seed);

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

 private:
  uint64_t state_;
};

}  // namespace kv::bench
