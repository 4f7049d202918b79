#include "tools/kvbench/workload_keys.h"

#include <algorithm>
#include <cmath>
#include <iterator>
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

// Records with repeated field names, values from small vocabularies and random numbers: about
// what a JSON document store keeps per key.
void AppendTextRecords(std::mt19937_64& rng, size_t bytes, std::string* pool) {
  static constexpr const char* kWords[] = {
      "alpha",  "bravo",  "charlie", "delta", "echo",    "foxtrot",  "golf",    "hotel",
      "india",  "juliet", "kilo",    "lima",  "mike",    "november", "oscar",   "papa",
      "quebec", "romeo",  "sierra",  "tango", "uniform", "victor",   "whiskey", "xray"};
  static constexpr const char* kCities[] = {"Lisbon", "Oslo",  "Kyoto", "Lima",
                                            "Austin", "Cairo", "Perth", "Quebec"};
  constexpr size_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);
  constexpr size_t kCityCount = sizeof(kCities) / sizeof(kCities[0]);
  while (pool->size() < bytes) {
    fmt::format_to(std::back_inserter(*pool),
                   R"({{"id":{},"user":"{}{}","email":"{}.{}@example.com","city":"{}",)"
                   R"("active":{},"score":{}.{:02},"tags":["{}","{}"],"visits":{}}})",
                   rng() % 10000000, kWords[rng() % kWordCount], rng() % 1000,
                   kWords[rng() % kWordCount], kWords[rng() % kWordCount],
                   kCities[rng() % kCityCount], rng() % 2 == 0 ? "true" : "false", rng() % 100,
                   rng() % 100, kWords[rng() % kWordCount], kWords[rng() % kWordCount],
                   rng() % 5000);
  }
  pool->resize(bytes);
}

}  // namespace

Result<ValueKind> ParseValueKind(std::string_view name) {
  if (name == "random") return ValueKind::kRandom;
  if (name == "text") return ValueKind::kText;
  return Status::InvalidArgument(fmt::format("unknown --values '{}' (random or text)", name));
}

Result<WorkloadKeys> WorkloadKeys::Make(uint64_t num, size_t key_size, size_t value_size,
                                        uint64_t seed, ValueKind values) {
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
  if (values == ValueKind::kText) {
    AppendTextRecords(rng, kValuePoolBytes + value_size, &keys.value_pool_);
  } else {
    keys.value_pool_.resize(kValuePoolBytes + value_size);
    for (char& c : keys.value_pool_) c = static_cast<char>(' ' + rng() % 95);
  }
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

uint64_t IndexSequence::NextBits() {
  state_ += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t IndexSequence::Next(uint64_t bound) {
  return NextBits() % bound;
}

double IndexSequence::NextUnit() {
  return static_cast<double>(NextBits() >> 11) * 0x1.0p-53;
}

Result<KeyDistribution> ParseKeyDistribution(std::string_view name) {
  if (name == "uniform") return KeyDistribution::kUniform;
  if (name == "zipfian") return KeyDistribution::kZipfian;
  return Status::InvalidArgument(
      fmt::format("unknown key distribution '{}': use uniform or zipfian", name));
}

std::string_view KeyDistributionName(KeyDistribution distribution) {
  return distribution == KeyDistribution::kZipfian ? "zipfian" : "uniform";
}

namespace {

// sum_{i=1..n} 1 / i^theta
double Zeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = 1; i <= n; ++i) sum += 1.0 / std::pow(static_cast<double>(i), theta);
  return sum;
}

// YCSB's Utils.fnvhash64: FNV-1a over the 8 bytes of the value, low byte first.
uint64_t Fnv1a64(uint64_t value) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 8; ++i) {
    hash ^= value & 0xff;
    hash *= 0x100000001b3ULL;
    value >>= 8;
  }
  return hash;
}

}  // namespace

KeyChooser::KeyChooser(KeyDistribution distribution, uint64_t n, double theta)
    : distribution_(distribution), n_(n) {
  if (distribution_ != KeyDistribution::kZipfian) return;
  // Gray et al., "Quickly generating billion-record synthetic databases" (SIGMOD 1994), as in
  // YCSB's ZipfianGenerator.
  theta_ = theta;
  alpha_ = 1.0 / (1.0 - theta);
  zeta_n_ = Zeta(n, theta);
  const double zeta_2 = Zeta(2, theta);
  eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta_2 / zeta_n_);
  half_pow_theta_ = 1.0 + std::pow(0.5, theta);
}

uint64_t KeyChooser::NextRank(IndexSequence& random) const {
  const double u = random.NextUnit();
  const double uz = u * zeta_n_;
  if (uz < 1.0) return 0;
  if (uz < half_pow_theta_) return n_ > 1 ? 1 : 0;
  const auto rank =
      static_cast<uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return std::min(rank, n_ - 1);
}

uint64_t KeyChooser::Next(IndexSequence& random) const {
  if (distribution_ == KeyDistribution::kUniform) return random.Next(n_);
  return Fnv1a64(NextRank(random)) % n_;
}

}  // namespace kv::bench
