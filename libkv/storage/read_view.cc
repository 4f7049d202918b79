#include "libkv/storage/read_view.h"

#include <algorithm>

#include "libkv/storage/merging_iterator.h"

namespace kv {

uint64_t SortedRun::bytes() const {
  uint64_t total = 0;
  for (const auto& t : tables) total += t->meta.props.file_bytes;
  return total;
}

uint64_t SortedRun::tombstones() const {
  uint64_t total = 0;
  for (const auto& t : tables) total += t->meta.props.tombstones;
  return total;
}

const LiveTable* SortedRun::TableFor(std::string_view key) const {
  // The first table whose largest key is >= key.
  auto it = std::lower_bound(tables.begin(), tables.end(), key,
                             [](const std::shared_ptr<const LiveTable>& t, std::string_view k) {
                               return std::string_view(t->meta.props.largest_key) < k;
                             });
  if (it == tables.end() || key < std::string_view((*it)->meta.props.smallest_key)) return nullptr;
  return it->get();
}

uint64_t TableSet::total_bytes() const {
  uint64_t total = 0;
  for (const auto& r : runs) total += r->bytes();
  return total;
}

uint64_t TableSet::table_count() const {
  uint64_t n = 0;
  for (const auto& r : runs) n += r->tables.size();
  return n;
}

namespace {

// Walks a run's tables one after the other (their key ranges are disjoint and ascending).
class RunIterator final : public Iterator {
 public:
  explicit RunIterator(std::shared_ptr<const SortedRun> run) : run_(std::move(run)) {}
  bool Valid() const override { return current_ != nullptr && current_->Valid(); }
  void SeekToFirst() override {
    Open(0);
    if (current_) current_->SeekToFirst();
    SkipExhausted();
  }
  void Seek(std::string_view target) override {
    auto it = std::lower_bound(run_->tables.begin(), run_->tables.end(), target,
                               [](const std::shared_ptr<const LiveTable>& t, std::string_view k) {
                                 return std::string_view(t->meta.props.largest_key) < k;
                               });
    Open(static_cast<size_t>(it - run_->tables.begin()));
    if (current_) current_->Seek(target);
    SkipExhausted();
  }
  void Next() override {
    current_->Next();
    SkipExhausted();
  }
  EntryView entry() const override { return current_->entry(); }
  Status status() const override { return current_ ? current_->status() : Status::Ok(); }

 private:
  void Open(size_t index) {
    index_ = index;
    current_ = index < run_->tables.size() ? run_->tables[index]->reader->NewIterator() : nullptr;
  }
  // Moves on to the next table when this one ends cleanly; stops on an error.
  void SkipExhausted() {
    while (current_ && !current_->Valid() && current_->status().ok() &&
           index_ + 1 < run_->tables.size()) {
      Open(index_ + 1);
      current_->SeekToFirst();
    }
  }

  std::shared_ptr<const SortedRun> run_;
  size_t index_ = 0;
  std::unique_ptr<Iterator> current_;
};

}  // namespace

std::unique_ptr<Iterator> NewRunIterator(std::shared_ptr<const SortedRun> run) {
  if (run->tables.size() == 1) return run->tables[0]->reader->NewIterator();
  return std::make_unique<RunIterator>(std::move(run));
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
  for (const auto& run : view.tables->runs) {
    const LiveTable* table = run->TableFor(key);
    if (table == nullptr) continue;
    KV_ASSIGN_OR_RETURN(TableLookup found, table->reader->Get(key));
    if (found.outcome == TableLookup::Outcome::kFound) {
      if (found.kind == EntryKind::kTombstone) return std::optional<std::string>();
      return std::optional<std::string>(std::move(found.value));
    }
    if (found.bloom_skipped) {
      counters->bloom_skips.fetch_add(1, std::memory_order_relaxed);
    } else if (table->has_filter) {
      counters->bloom_false_positives.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return std::optional<std::string>();
}

std::unique_ptr<Iterator> NewViewIterator(const ReadView& view, SequenceNumber snapshot) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(view.mem->NewIterator(snapshot));
  for (const auto& imm : view.imms) children.push_back(imm->NewIterator(snapshot));
  for (const auto& run : view.tables->runs) children.push_back(NewRunIterator(run));
  return NewMergingIterator(std::move(children));
}

}  // namespace kv
