// The read path. A ReadView is what one read sees: the active memtable, the immutable memtables
// (newest first) and the live tables (newest data first). The engine publishes a new view on
// every memtable switch, flush and compaction; a reader copies the shared_ptr and then reads
// without any lock, so reads never wait for writes or background I/O.
//
// Threads: views are immutable once published and shared between threads.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/storage/iterator.h"
#include "libkv/storage/manifest.h"
#include "libkv/storage/memtable.h"
#include "libkv/storage/sstable.h"

namespace kv {

// A table in the live set: its manifest entry and its open reader.
struct LiveTable {
  LiveTable() = default;
  LiveTable(ManifestTable m, std::shared_ptr<TableReader> r)
      : meta(std::move(m)), reader(std::move(r)), has_filter(reader->bloom().bits > 0) {}
  ManifestTable meta;
  std::shared_ptr<TableReader> reader;
  bool has_filter = false;  // for counting bloom false positives honestly
};

// A sorted run: tables in ascending key order with disjoint key ranges, so a key is in at most
// one of them. A flush makes a run of one table; a compaction writes a run split into files of
// a bounded size, or (when its inputs do not overlap) just puts the input tables side by side.
struct SortedRun {
  std::vector<std::shared_ptr<const LiveTable>> tables;
  uint64_t bytes() const;
  uint64_t tombstones() const;
  // The one table whose key range holds key, or null.
  const LiveTable* TableFor(std::string_view key) const;
};

// The live tables as sorted runs, newest data first: every entry of runs[i] is newer than every
// entry of runs[i+1] (flushes add at the front; compaction replaces neighbours by their merge).
struct TableSet {
  std::vector<std::shared_ptr<const SortedRun>> runs;
  uint64_t total_bytes() const;
  uint64_t table_count() const;
};

struct ReadView {
  std::shared_ptr<MemTable> mem;
  std::vector<std::shared_ptr<MemTable>> imms;  // newest first
  std::shared_ptr<const TableSet> tables;
};

// Counters the read path bumps; shared by all readers.
struct ReadCounters {
  std::atomic<uint64_t> bloom_skips{0};
  std::atomic<uint64_t> bloom_false_positives{0};
};

// The newest value of key, nullopt when absent or deleted. An error from a table (corruption,
// I/O) is returned, never skipped: an older table could otherwise answer with stale data.
Result<std::optional<std::string>> ReadKey(const ReadView& view, std::string_view key,
                                           ReadCounters* counters);

// The entries of a run in key order. Pins the run's tables.
std::unique_ptr<Iterator> NewRunIterator(std::shared_ptr<const SortedRun> run);

// Every source of the view merged (newest version per key, tombstones included), showing
// memtable versions with seq <= snapshot. Pins the view's memtables and tables.
std::unique_ptr<Iterator> NewViewIterator(const ReadView& view, SequenceNumber snapshot);

}  // namespace kv
