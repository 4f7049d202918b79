#include "tools/kvbench/workload_keys.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace kv::bench {

namespace {

size_t DecimalDigits(uint64_t n) {
  size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

// Enough distinct slices that neighbouring values differ, small enough to stay in cache.
constexpr size_t kValuePoolBytes = 1 << 20;

}  // namespace

Result<WorkloadKeys> WorkloadKeys::Make(uint64_t num, size_t key_size, size_t value_size,
                                        uint64_t seed) {
  if (num == 0) return Status::InvalidArgument("--num must be at least 1");
  size_t digits = DecimalDigits(num - 1);
  if (key_size < digits + 1) {
    return Status::InvalidArgument(
        fmt::format("--key-size {} is too small for --num {}: keys need at least {} bytes",
                    key_size, num, digits + 1));
  }
  WorkloadKeys keys;
  keys.num_ = num;
  keys.key_size_ = key_size;
  keys.value_size_ = value_size;
  keys.seed_ = seed;
  std::mt19937_64 rng(seed);
  keys.value_pool_.resize(kValuePoolBytes + value_size);
  for (char& c : keys.value_pool_) c = static_cast<char>(' ' + rng() % 95);
  return keys;
}

void WorkloadKeys::KeyAt(uint64_t index, std::string* out) const {
  out->assign(key_size_, '0');
  // Digits right-aligned; the last byte stays '0' for written keys, 'x' for missing ones, so
  // both sort by index and never collide.
  size_t pos = key_size_ - 1;
  uint64_t n = index;
  do {
    (*out)[--pos] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0 && pos > 0);
}

void WorkloadKeys::MissingKeyAt(uint64_t index, std::string* out) const {
  KeyAt(index, out);
  out->back() = 'x';
}

std::string_view WorkloadKeys::ValueFor(uint64_t op) const {
  size_t offset = static_cast<size_t>((op * 7919) % kValuePoolBytes);
  return std::string_view(value_pool_).substr(offset, value_size_);
}

std::vector<uint64_t> WorkloadKeys::RandomOrder() const {
  std::vector<uint64_t> order(num_);
  for (uint64_t i = 0; i < num_; ++i) order[i] = i;
  std::mt19937_64 rng(seed_ ^ 0x9e3779b97f4a7c15ULL);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

uint64_t IndexSequence::Next(uint64_t bound) {
  state_ += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z % bound;
}

}  // namespace kv::bench
