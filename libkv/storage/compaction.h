// Compaction: merges sorted runs so that reads stay bounded and overwritten versions and
// purgeable tombstones go away. Pure picking and merging; the engine's compaction thread runs it
// and installs the result.
//
// Compaction: size-tiered (RocksDB's "universal" flavour), not leveled. The live tables are a
// list of sorted runs ordered by age (a flush adds the newest); a compaction merges a window of
// adjacent runs into one run (split into files of kTargetFileBytes; when the window's tables do
// not overlap, as with sequential keys, they are moved into one run without a rewrite). Why: (1) a
// Dynamo replica is write-heavy (each client write lands on N nodes; hinted handoff, read repair
// and anti-entropy add bulk writes), and tiered merging rewrites each byte about
// log_T(data/memtable) times where leveled rewrites it ~10 times per level; (2) point reads stay
// bounded anyway: the run count is kept small (a few per size tier, hard cap kMaxRuns) and each run
// costs one bloom probe (~1% false positives at 10 bits/key), so a missing key reads ~no blocks and
// a present one ~one; (3) purging a tombstone needs "the output holds the oldest data for the key",
// which with runs ordered by age is just "the window includes the oldest run", no per-key overlap
// search through levels; (4) far less code than leveled picking (key-range overlaps, grandparent
// limits), which matters for a first milestone. The costs we accept: space amplification up to ~3x
// before the size-amplification trigger merges everything, a full merge needs free disk as large as
// the data, and scans touch every run.
//
// Triggers, checked after each flush and compaction, in this order:
//  (a) size amplification: the runs newer than the oldest together reach kMaxSpaceAmp times
//      the oldest run -> merge all runs;
//  (b) size ratio: from the newest run, grow a window while the next older run is no larger than
//      the window's total; merge it when it holds at least kMinMergeWidth runs;
//  (c) more than kMaxRuns runs -> merge the newest kMinMergeWidth runs whatever their sizes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/storage/entry.h"
#include "libkv/storage/flush.h"
#include "libkv/storage/read_view.h"

namespace kv {

inline constexpr size_t kMinMergeWidth = 4;
inline constexpr size_t kMaxRuns = 12;
inline constexpr uint64_t kMaxSpaceAmp = 2;
// A merged run is split into tables of about this size, so no single file is huge.
inline constexpr uint64_t kTargetFileBytes = 64 << 20;

// A window of adjacent runs: set.runs[first .. first + inputs.size()).
struct CompactionPick {
  size_t first = 0;
  std::vector<std::shared_ptr<const SortedRun>> inputs;  // newest first
  bool includes_oldest = false;
  // A full compaction always rewrites (to purge tombstones); others may just move tables.
  bool full = false;
};

// The compaction the triggers above ask for, or nullopt.
std::optional<CompactionPick> PickCompaction(const TableSet& set);
// All runs, when there is anything to gain: two runs or more, or one holding tombstones or
// split into more files than its size needs, or any run at all when `filtering` (values may be
// obsolete: only reading them tells).
std::optional<CompactionPick> PickFullCompaction(const TableSet& set, bool filtering = false);

using CanPurgeTombstone = std::function<bool(std::string_view key, SequenceNumber seq)>;
using ValueIsObsolete = std::function<bool(std::string_view key, std::string_view value)>;
// Whether the key of this entry (its newest version) stays at all (Engine::RewriteTables).
using KeepKey = std::function<bool(const EntryView& newest)>;

struct CompactionOutput {
  SortedRun run;       // empty when nothing is left
  bool moved = false;  // the inputs' tables were reused as they are: delete no input file
};

// Merges the inputs into one run (tables numbered by new_number, split at kTargetFileBytes),
// keeping the newest version of each key and dropping a tombstone only when the pick includes
// the oldest run and can_purge (null: yes) agrees. Under the same condition a value that
// `obsolete` (null: none) calls obsolete is dropped too, key and all: nothing older of the key is
// left outside the output to resurface, as for a purged tombstone. Without the oldest run neither
// is asked. When the inputs' tables do not overlap at all (sequential writes) and the pick is not
// full, nothing is rewritten: the output run is the input tables side by side (LevelDB's
// "trivial move"). With `keep_key` (a filtered rewrite; the pick must be full, so that no version
// of a key is outside it) each key is first offered to it, and one it refuses is dropped, every
// version of it; InvalidArgument for a pick that is not full.
Result<CompactionOutput> RunCompaction(const CompactionPick& pick, const TableBuildSpec& spec,
                                       const CanPurgeTombstone& can_purge,
                                       const std::function<uint64_t()>& new_number,
                                       const ValueIsObsolete& obsolete = nullptr,
                                       const KeepKey& keep_key = nullptr);

// `current` with the pick's inputs replaced by output (dropped when empty). The inputs must still
// be adjacent in current (flushes only add in front; one compaction runs at a time); Corruption
// otherwise.
Result<TableSet> ReplaceRuns(const TableSet& current, const CompactionPick& pick,
                             const SortedRun& output);

}  // namespace kv
