#include "libkv/storage/compaction.h"

#include <algorithm>

#include "libkv/storage/merging_iterator.h"

namespace kv {
namespace {

uint64_t SizeOf(const TableSet& set, size_t i) {
  return std::max<uint64_t>(set.runs[i]->meta.props.file_bytes, 1);
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

std::optional<CompactionPick> PickFullCompaction(const TableSet& set) {
  if (set.runs.empty()) return std::nullopt;
  if (set.runs.size() == 1 && set.runs[0]->meta.props.tombstones == 0) return std::nullopt;
  return Window(set, 0, set.runs.size());
}

Result<std::optional<LiveTable>> RunCompaction(const CompactionPick& pick,
                                               const TableBuildSpec& spec,
                                               const CanPurgeTombstone& can_purge) {
  std::vector<std::unique_ptr<Iterator>> children;
  for (const auto& t : pick.inputs) children.push_back(t->reader->NewIterator());
  auto merged = NewMergingIterator(std::move(children));
  merged->SeekToFirst();
  auto keep = [&](const EntryView& e) {
    if (e.kind != EntryKind::kTombstone || !pick.includes_oldest) return true;
    return can_purge && !can_purge(e.key, e.seq);
  };
  return BuildTable(spec, merged.get(), keep);
}

Result<TableSet> ReplaceRuns(const TableSet& current, const CompactionPick& pick,
                             const std::optional<LiveTable>& output) {
  auto start = std::find(current.runs.begin(), current.runs.end(), pick.inputs.front());
  if (start == current.runs.end() ||
      static_cast<size_t>(current.runs.end() - start) < pick.inputs.size() ||
      !std::equal(pick.inputs.begin(), pick.inputs.end(), start))
    return Status::Corruption("compaction inputs are no longer adjacent runs of the live set");
  TableSet next;
  next.runs.assign(current.runs.begin(), start);
  if (output) next.runs.push_back(std::make_shared<const LiveTable>(*output));
  next.runs.insert(next.runs.end(), start + static_cast<ptrdiff_t>(pick.inputs.size()),
                   current.runs.end());
  return next;
}

}  // namespace kv
