#include "libkv/storage/merging_iterator.h"

#include <string>

namespace kv {
namespace {

class MergingIterator final : public Iterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<Iterator>> children)
      : children_(std::move(children)) {}

  bool Valid() const override { return current_ != nullptr; }
  void SeekToFirst() override {
    for (auto& c : children_) c->SeekToFirst();
    FindSmallest();
  }
  void Seek(std::string_view target) override {
    for (auto& c : children_) c->Seek(target);
    FindSmallest();
  }
  void Next() override {
    // Every child positioned at the current key moves past it; the others are already past.
    key_.assign(current_->entry().key);
    for (auto& c : children_) {
      if (c->Valid() && c->entry().key == key_) c->Next();
    }
    FindSmallest();
  }
  EntryView entry() const override { return current_->entry(); }
  Status status() const override {
    for (const auto& c : children_) {
      Status s = c->status();
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  // Picks the smallest key; among children at that key, the highest sequence number. A child
  // that stopped on an error ends the whole walk, so a damaged table cannot hide newer data.
  void FindSmallest() {
    current_ = nullptr;
    for (auto& c : children_) {
      if (!c->Valid()) {
        if (!c->status().ok()) {
          current_ = nullptr;
          return;
        }
        continue;
      }
      if (current_ == nullptr) {
        current_ = c.get();
        continue;
      }
      const EntryView e = c->entry();
      const EntryView best = current_->entry();
      if (e.key < best.key || (e.key == best.key && e.seq > best.seq)) current_ = c.get();
    }
  }

  std::vector<std::unique_ptr<Iterator>> children_;
  Iterator* current_ = nullptr;
  std::string key_;
};

class LiveKeysIterator final : public Iterator {
 public:
  explicit LiveKeysIterator(std::unique_ptr<Iterator> inner) : inner_(std::move(inner)) {}
  bool Valid() const override { return inner_->Valid(); }
  void SeekToFirst() override {
    inner_->SeekToFirst();
    SkipTombstones();
  }
  void Seek(std::string_view target) override {
    inner_->Seek(target);
    SkipTombstones();
  }
  void Next() override {
    inner_->Next();
    SkipTombstones();
  }
  EntryView entry() const override { return inner_->entry(); }
  Status status() const override { return inner_->status(); }

 private:
  void SkipTombstones() {
    while (inner_->Valid() && inner_->entry().kind == EntryKind::kTombstone) inner_->Next();
  }
  std::unique_ptr<Iterator> inner_;
};

}  // namespace

std::unique_ptr<Iterator> NewMergingIterator(std::vector<std::unique_ptr<Iterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

std::unique_ptr<Iterator> NewLiveKeysIterator(std::unique_ptr<Iterator> inner) {
  return std::make_unique<LiveKeysIterator>(std::move(inner));
}

}  // namespace kv
