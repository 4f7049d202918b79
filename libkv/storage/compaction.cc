#include "libkv/storage/compaction.h"

#include <algorithm>

#include "libkv/storage/merging_iterator.h"

namespace kv {
namespace {

uint64_t SizeOf(const TableSet& set, size_t i) {
  return std::max<uint64_t>(set.runs[i]->bytes(), 1);
}

CompactionPick Window(const TableSet& set, size_t first, size_t count) {
  CompactionPick pick;
  pick.first = first;
  pick.inputs.assign(set.runs.begin() + static_cast<ptrdiff_t>(first),
                     set.runs.begin() + static_cast<ptrdiff_t>(first + count));
  pick.includes_oldest = first + count == set.runs.size();
  return pick;
}

}  // namespace

std::optional<CompactionPick> PickCompaction(const TableSet& set) {
  const size_t n = set.runs.size();
  if (n < 2) return std::nullopt;
  uint64_t newer = 0;
  for (size_t i = 0; i + 1 < n; i++) newer += SizeOf(set, i);
  if (newer >= kMaxSpaceAmp * SizeOf(set, n - 1)) return Window(set, 0, n);

  uint64_t window = SizeOf(set, 0);
  size_t width = 1;
  while (width < n && SizeOf(set, width) <= window) window += SizeOf(set, width++);
  if (width >= kMinMergeWidth) return Window(set, 0, width);

  if (n > kMaxRuns) return Window(set, 0, kMinMergeWidth);
  return std::nullopt;
}

std::optional<CompactionPick> PickFullCompaction(const TableSet& set, bool filtering) {
  if (set.runs.empty()) return std::nullopt;
  const SortedRun& only = *set.runs[0];
  // One run without tombstones in as few files as its size needs: nothing to gain.
  if (set.runs.size() == 1 && !filtering && only.tombstones() == 0 &&
      only.tables.size() <= 1 + only.bytes() / kTargetFileBytes)
    return std::nullopt;
  CompactionPick pick = Window(set, 0, set.runs.size());
  pick.full = true;
  return pick;
}

Result<CompactionOutput> RunCompaction(const CompactionPick& pick, const TableBuildSpec& spec,
                                       const CanPurgeTombstone& can_purge,
                                       const std::function<uint64_t()>& new_number,
                                       const ValueIsObsolete& obsolete, const KeepKey& keep_key) {
  CompactionOutput out;
  if (keep_key && !(pick.full && pick.includes_oldest))
    return Status::InvalidArgument("a filtered rewrite must take every run");
  if (!pick.full) {
    std::vector<std::shared_ptr<const LiveTable>> all;
    for (const auto& run : pick.inputs)
      all.insert(all.end(), run->tables.begin(), run->tables.end());
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a->meta.props.smallest_key < b->meta.props.smallest_key;
    });
    bool disjoint = true;
    for (size_t i = 1; i < all.size() && disjoint; i++)
      disjoint = all[i - 1]->meta.props.largest_key < all[i]->meta.props.smallest_key;
    if (disjoint) {
      out.run.tables = std::move(all);
      out.moved = true;
      return out;
    }
  }
  std::vector<std::unique_ptr<Iterator>> children;
  for (const auto& run : pick.inputs) children.push_back(NewRunIterator(run));
  auto merged = NewMergingIterator(std::move(children));
  merged->SeekToFirst();
  // The merged iterator yields only the newest version of each key, so dropping it drops the
  // key; that is safe only when no older version sits in a run outside this compaction.
  auto keep = [&](const EntryView& e) {
    if (keep_key && !keep_key(e)) return false;
    if (!pick.includes_oldest) return true;
    if (e.kind == EntryKind::kTombstone) return can_purge && !can_purge(e.key, e.seq);
    return !obsolete || !obsolete(e.key, e.value);
  };
  TableBuildSpec split = spec;
  split.max_file_bytes = kTargetFileBytes;
  KV_ASSIGN_OR_RETURN(auto tables, BuildTables(split, merged.get(), keep, new_number));
  for (auto& t : tables) out.run.tables.push_back(std::make_shared<const LiveTable>(std::move(t)));
  return out;
}

Result<TableSet> ReplaceRuns(const TableSet& current, const CompactionPick& pick,
                             const SortedRun& output) {
  auto start = std::find(current.runs.begin(), current.runs.end(), pick.inputs.front());
  if (start == current.runs.end() ||
      static_cast<size_t>(current.runs.end() - start) < pick.inputs.size() ||
      !std::equal(pick.inputs.begin(), pick.inputs.end(), start))
    return Status::Corruption("compaction inputs are no longer adjacent runs of the live set");
  TableSet next;
  next.runs.assign(current.runs.begin(), start);
  if (!output.tables.empty()) next.runs.push_back(std::make_shared<const SortedRun>(output));
  next.runs.insert(next.runs.end(), start + static_cast<ptrdiff_t>(pick.inputs.size()),
                   current.runs.end());
  return next;
}

}  // namespace kv
