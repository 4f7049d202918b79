#include "libkv/storage/read_view.h"

#include "libkv/storage/merging_iterator.h"

namespace kv {

uint64_t TableSet::total_bytes() const {
  uint64_t total = 0;
  for (const auto& t : runs) total += t->meta.props.file_bytes;
  return total;
}

namespace {
std::optional<std::string> ValueOf(const EntryView& e) {
  if (e.kind == EntryKind::kTombstone) return std::nullopt;
  return std::string(e.value);
}
}  // namespace

Result<std::optional<std::string>> ReadKey(const ReadView& view, std::string_view key,
                                           ReadCounters* counters) {
  if (!view.mem->empty()) {
    if (auto e = view.mem->Get(key)) return ValueOf(*e);
  }
  for (const auto& imm : view.imms) {
    if (auto e = imm->Get(key)) return ValueOf(*e);
  }
  for (const auto& table : view.tables->runs) {
    const TableProperties& p = table->meta.props;
    if (key < std::string_view(p.smallest_key) || key > std::string_view(p.largest_key)) continue;
    KV_ASSIGN_OR_RETURN(TableLookup found, table->reader->Get(key));
    if (found.outcome == TableLookup::Outcome::kFound) {
      if (found.kind == EntryKind::kTombstone) return std::optional<std::string>();
      return std::optional<std::string>(std::move(found.value));
    }
    if (found.bloom_skipped) {
      counters->bloom_skips.fetch_add(1, std::memory_order_relaxed);
    } else {
      counters->bloom_false_positives.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return std::optional<std::string>();
}

std::unique_ptr<Iterator> NewViewIterator(const ReadView& view, SequenceNumber snapshot) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(view.mem->NewIterator(snapshot));
  for (const auto& imm : view.imms) children.push_back(imm->NewIterator(snapshot));
  for (const auto& table : view.tables->runs) children.push_back(table->reader->NewIterator());
  return NewMergingIterator(std::move(children));
}

}  // namespace kv
