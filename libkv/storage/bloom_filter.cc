#include "libkv/storage/bloom_filter.h"

#include <algorithm>
#include <cmath>

#include "libkv/base/coding.h"
#include "libkv/base/hash.h"
#include "libkv/storage/sstable_format.h"

namespace kv {
namespace {

// Probe i looks at bit BitFor(h + i * delta, m); delta is h rotated so the two halves mix.
inline uint64_t ProbeDelta(uint64_t h) {
  return (h >> 21) | (h << 43);
}

// floor(h * m / 2^64): maps h onto [0, m) as h mod m would, with a multiply instead of a
// division (several times faster, and a lookup runs up to k of them).
inline uint64_t BitFor(uint64_t h, uint64_t m) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(h) * m) >> 64);
}

int HashCountFor(int bits_per_key) {
  const int k = static_cast<int>(std::lround(bits_per_key * 0.6931471805599453));
  return std::clamp(k, 1, static_cast<int>(kMaxBloomHashCount));
}

}  // namespace

double BloomExpectedFalsePositiveRate(uint64_t bits, uint64_t keys, int hash_count) {
  if (keys == 0) return 0;
  if (bits == 0 || hash_count <= 0) return 1;
  const double k = hash_count;
  return std::pow(1.0 - std::exp(-k * static_cast<double>(keys) / static_cast<double>(bits)), k);
}

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key) : bits_per_key_(bits_per_key) {}

void BloomFilterBuilder::AddKey(std::string_view key) {
  hashes_.push_back(Hash64(key));
}

std::string BloomFilterBuilder::Finish() const {
  const int k = HashCountFor(bits_per_key_);
  // At least 64 bits so that tiny tables do not get a useless filter.
  uint64_t bits = std::max<uint64_t>(hashes_.size() * static_cast<uint64_t>(bits_per_key_), 64);
  const uint64_t bytes = (bits + 7) / 8;
  bits = bytes * 8;
  std::string out;
  out.push_back(static_cast<char>(k));
  PutVarint64(&out, hashes_.size());
  const size_t header = out.size();
  out.resize(header + bytes, '\0');
  auto* array = reinterpret_cast<uint8_t*>(out.data() + header);
  for (uint64_t h : hashes_) {
    const uint64_t delta = ProbeDelta(h);
    for (int i = 0; i < k; ++i) {
      const uint64_t bit = BitFor(h, bits);
      array[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      h += delta;
    }
  }
  return out;
}

std::optional<BloomFilter> BloomFilter::Parse(std::string contents) {
  BloomFilter f;
  f.contents_ = std::move(contents);
  std::string_view in = f.contents_;
  if (in.empty()) return std::nullopt;
  const int k = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  uint64_t keys = 0;
  if (!GetVarint64(&in, &keys)) return std::nullopt;
  if (k < 1 || k > static_cast<int>(kMaxBloomHashCount) || in.empty()) return std::nullopt;
  f.hash_count_ = k;
  f.keys_ = keys;
  f.bits_ = static_cast<uint64_t>(in.size()) * 8;
  f.array_offset_ = f.contents_.size() - in.size();
  return f;
}

bool BloomFilter::MayContain(std::string_view key) const {
  const auto* array = reinterpret_cast<const uint8_t*>(contents_.data() + array_offset_);
  uint64_t h = Hash64(key);
  const uint64_t delta = ProbeDelta(h);
  for (int i = 0; i < hash_count_; ++i) {
    const uint64_t bit = BitFor(h, bits_);
    if ((array[bit / 8] & (1u << (bit % 8))) == 0) return false;
    h += delta;
  }
  return true;
}

}  // namespace kv
