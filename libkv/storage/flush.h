// Writing tables: a memtable flush, and the table-writing step that compaction shares. A table
// becomes visible only whole: it is written under a temporary name, synced (TableWriter::Finish),
// renamed to NNNNNN.sst and its directory synced, all before the manifest names it.
//
// Threads: called by the engine's background threads (and Open); no shared state.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/storage/iterator.h"
#include "libkv/storage/memtable.h"
#include "libkv/storage/read_view.h"
#include "libkv/storage/sstable.h"

namespace kv {

struct TableBuildSpec {
  Env* env = nullptr;
  std::string dir;
  uint64_t number = 0;
  uint32_t level = 0;
  TableOptions options;
  TableReadOptions read_options;  // for opening the finished table
  // When set and true, the build stops early with Unavailable (the engine is shutting down).
  const std::atomic<bool>* cancel = nullptr;
  // A table ends after the entry that brings it past this size (0: no limit).
  uint64_t max_file_bytes = 0;
};

// Writes the entries of `source` that `keep` accepts (null: all) from its current position to
// the end (or past spec.max_file_bytes; source is then at the first entry not written), and
// opens the result. nullopt when nothing was kept (no file is left behind).
Result<std::optional<LiveTable>> BuildTable(
    const TableBuildSpec& spec, Iterator* source,
    const std::function<bool(const EntryView&)>& keep = nullptr);

// BuildTable again and again (numbers from new_number) until source ends: a sorted run split
// into tables of about spec.max_file_bytes, in key order. Empty when nothing was kept.
Result<std::vector<LiveTable>> BuildTables(const TableBuildSpec& spec, Iterator* source,
                                           const std::function<bool(const EntryView&)>& keep,
                                           const std::function<uint64_t()>& new_number);

// Writes every version a memtable holds as newest (tombstones included: older tables may hold
// the key). REQUIRES: !mem.empty()
Result<LiveTable> FlushMemTable(const TableBuildSpec& spec, const MemTable& mem);

}  // namespace kv
