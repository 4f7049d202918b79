// Test helpers for SSTable tests: a model of what a table holds (a sorted map), random entries
// from a fixed seed, and building a table from the model.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <fmt/format.h>

#include "libkv/env/env.h"
#include "libkv/storage/sstable.h"

namespace kv::testing {

struct ModelEntry {
  SequenceNumber seq = 0;
  EntryKind kind = EntryKind::kValue;
  std::string value;
};
using TableModel = std::map<std::string, ModelEntry>;

inline std::string RandomBytes(std::mt19937_64& rng, size_t n, bool printable) {
  std::string s(n, '\0');
  for (auto& c : s) c = printable ? static_cast<char>('a' + rng() % 26) : static_cast<char>(rng());
  return s;
}

// `count` distinct random keys (some binary, a few 64 KiB long), ~10% tombstones, ~5% empty
// values, others up to max_value_bytes, distinct sequence numbers.
inline TableModel RandomModel(uint64_t seed, size_t count, bool with_huge_keys = true,
                              size_t max_value_bytes = 200) {
  std::mt19937_64 rng(seed);
  TableModel m;
  SequenceNumber seq = 1000;
  while (m.size() < count) {
    size_t key_len = 1 + rng() % 24;
    if (with_huge_keys && rng() % 2000 == 0) key_len = 64 * 1024;
    std::string key = RandomBytes(rng, key_len, rng() % 4 != 0);
    ModelEntry e;
    e.seq = seq++;
    const uint64_t r = rng() % 100;
    if (r < 10) {
      e.kind = EntryKind::kTombstone;
    } else if (r >= 15) {
      e.value = RandomBytes(rng, rng() % (max_value_bytes + 1), rng() % 2 == 0);
    }
    m[std::move(key)] = std::move(e);
  }
  return m;
}

// `count` keys whose values are JSON-like text of 20 to 120 bytes: what compression shrinks.
inline TableModel TextModel(uint64_t seed, size_t count) {
  std::mt19937_64 rng(seed);
  static constexpr const char* kWords[] = {"alpha", "bravo", "charlie", "delta", "echo", "golf"};
  TableModel m;
  SequenceNumber seq = 1;
  while (m.size() < count) {
    std::string key = fmt::format("user:{}", rng() % 1000000);
    ModelEntry e;
    e.seq = seq++;
    while (e.value.size() < 20 + rng() % 100) {
      e.value += "{\"name\":\"";
      e.value += kWords[rng() % 6];
      e.value += fmt::format("\",\"n\":{}}},", rng() % 100);
    }
    m[std::move(key)] = std::move(e);
  }
  return m;
}

inline Result<TableProperties> BuildTable(Env* env, const std::string& path,
                                          const TableModel& model,
                                          const TableOptions& options = {}) {
  KV_ASSIGN_OR_RETURN(auto writer, TableWriter::Create(env, path, options));
  for (const auto& [key, e] : model)
    KV_RETURN_IF_ERROR(writer->Add(EntryView{key, e.seq, e.kind, e.value}));
  return writer->Finish();
}

}  // namespace kv::testing
