#include "libkv/storage/memtable.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

#include "libkv/base/hash.h"

namespace kv {

struct MemTable::Version {
  SequenceNumber seq;
  const Version* older;  // the version this one replaced; never freed before the memtable
  EntryKind kind;
  uint32_t value_size;
  const char* value() const { return reinterpret_cast<const char*>(this + 1); }
};

// Layout in the arena, so that a skiplist step touches as few cache lines as it can:
//   newest | key_size | height | next_[0..height-1] | key bytes | (pad to 8) | HashLink
// A search reads key_size, one next_ and the key, which sit together; the hash chain's fields
// are only read by hash lookups and go last.
struct MemTable::Node {
  struct HashLink {
    Node* next;  // set before the node is published, never changed
    uint64_t hash;
  };

  std::atomic<const Version*> newest;
  uint32_t key_size;
  uint32_t height;
  std::atomic<Node*> next_[1];  // really next_[height]

  const char* key_data() const { return reinterpret_cast<const char*>(&next_[height]); }
  std::string_view key() const { return {key_data(), key_size}; }
  static size_t LinkOffset(uint32_t height, size_t key_size) {
    const size_t end = offsetof(Node, next_) + sizeof(std::atomic<Node*>) * height + key_size;
    return (end + 7) & ~size_t{7};
  }
  const HashLink* link() const {
    return reinterpret_cast<const HashLink*>(reinterpret_cast<const char*>(this) +
                                             LinkOffset(height, key_size));
  }
  HashLink* link() { return const_cast<HashLink*>(std::as_const(*this).link()); }
  Node* Next(int level) const { return next_[level].load(std::memory_order_acquire); }
  void SetNext(int level, Node* n) { next_[level].store(n, std::memory_order_release); }
  Node* NextRelaxed(int level) const { return next_[level].load(std::memory_order_relaxed); }
  void SetNextRelaxed(int level, Node* n) { next_[level].store(n, std::memory_order_relaxed); }
};

namespace {

// memcmp order (shorter first on a tie), comparing 8 bytes at a time: keys often share long
// prefixes, and this avoids a library call per skiplist step.
inline bool KeyLess(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y);
  }
  for (; i < n; i++) {
    if (a[i] != b[i]) return static_cast<uint8_t>(a[i]) < static_cast<uint8_t>(b[i]);
  }
  return a.size() < b.size();
}

size_t BucketCount(size_t expected_bytes) {
  size_t n = 1024;
  while (n < expected_bytes / 128 && n < (size_t{1} << 24)) n <<= 1;
  return n;
}

}  // namespace

MemTable::MemTable(uint64_t log_number, size_t expected_bytes)
    : log_number_(log_number),
      buckets_(BucketCount(expected_bytes)),
      bucket_mask_(buckets_.size() - 1) {
  head_ = NewNode({}, kMaxHeight);
  for (int i = 0; i < kMaxHeight; i++) head_->SetNextRelaxed(i, nullptr);
}

MemTable::Node* MemTable::NewNode(std::string_view key, int height) {
  const size_t link = Node::LinkOffset(static_cast<uint32_t>(height), key.size());
  char* mem = arena_.Allocate(link + sizeof(Node::HashLink));
  Node* n = new (mem) Node;
  for (int i = 1; i < height; i++) new (&n->next_[i]) std::atomic<Node*>(nullptr);
  n->height = static_cast<uint32_t>(height);
  n->key_size = static_cast<uint32_t>(key.size());
  if (!key.empty()) std::memcpy(const_cast<char*>(n->key_data()), key.data(), key.size());
  n->newest.store(nullptr, std::memory_order_relaxed);
  new (mem + link) Node::HashLink{nullptr, 0};
  return n;
}

MemTable::Node* MemTable::FindInHash(std::string_view key, uint64_t hash) const {
  Node* n = buckets_[hash & bucket_mask_].load(std::memory_order_acquire);
  for (; n != nullptr; n = n->link()->next) {
    if (n->link()->hash == hash && n->key() == key) return n;
  }
  return nullptr;
}

int MemTable::RandomHeight() {
  int height = 1;
  while (height < kMaxHeight && (rng_() & 3) == 0) height++;  // branching factor 4
  return height;
}

MemTable::Node* MemTable::FindGreaterOrEqual(std::string_view key, Node** prev) const {
  Node* x = head_;
  int level = max_height_.load(std::memory_order_relaxed) - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next != nullptr && KeyLess(next->key(), key)) {
      x = next;
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      level--;
    }
  }
}

void MemTable::Add(SequenceNumber seq, EntryKind kind, std::string_view key,
                   std::string_view value) {
  char* mem = arena_.Allocate(sizeof(Version) + value.size());
  auto* v = new (mem) Version;
  v->seq = seq;
  v->kind = kind;
  v->value_size = static_cast<uint32_t>(value.size());
  if (!value.empty()) std::memcpy(mem + sizeof(Version), value.data(), value.size());

  // One writer: a plain load and store, no locked read-modify-write.
  entries_.store(entries_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  // The bucket is a random line of a large array: start fetching it now, so the miss overlaps
  // the skiplist walk instead of following it.
  const uint64_t hash = Hash64(key);
  std::atomic<Node*>& bucket = buckets_[hash & bucket_mask_];
  __builtin_prefetch(&bucket, 1);
  // The skiplist walk is needed for a new key anyway, and most writes are new keys of this
  // memtable, so it (not the hash index) finds an existing node.
  Node* prev[kMaxHeight];
  Node* existing = FindGreaterOrEqual(key, prev);
  if (existing != nullptr && existing->key() == key) {
    v->older = existing->newest.load(std::memory_order_relaxed);
    existing->newest.store(v, std::memory_order_release);
    return;
  }
  v->older = nullptr;
  const int height = RandomHeight();
  const int max_height = max_height_.load(std::memory_order_relaxed);
  if (height > max_height) {
    for (int i = max_height; i < height; i++) prev[i] = head_;
    // Readers that see the new height before the new links just find nullptr at those levels
    // of head_ and drop down, which is correct.
    max_height_.store(height, std::memory_order_relaxed);
  }
  Node* x = NewNode(key, height);
  x->newest.store(v, std::memory_order_relaxed);
  x->link()->hash = hash;
  x->link()->next = bucket.load(std::memory_order_relaxed);
  for (int i = 0; i < height; i++) {
    x->SetNextRelaxed(i, prev[i]->NextRelaxed(i));
    prev[i]->SetNext(i, x);  // publishes the node (and its version) to readers
  }
  bucket.store(x, std::memory_order_release);
}

std::optional<EntryView> MemTable::Get(std::string_view key) const {
  Node* x = FindInHash(key, Hash64(key));
  if (x == nullptr) return std::nullopt;
  const Version* v = x->newest.load(std::memory_order_acquire);
  return EntryView{x->key(), v->seq, v->kind, {v->value(), v->value_size}};
}

class MemTableIterator final : public Iterator {
 public:
  MemTableIterator(std::shared_ptr<const MemTable> mem, SequenceNumber snapshot)
      : mem_(std::move(mem)), snapshot_(snapshot) {}

  bool Valid() const override { return node_ != nullptr; }
  void SeekToFirst() override {
    node_ = mem_->head_->Next(0);
    SkipInvisible();
  }
  void Seek(std::string_view target) override {
    node_ = mem_->FindGreaterOrEqual(target, nullptr);
    SkipInvisible();
  }
  void Next() override {
    node_ = node_->Next(0);
    SkipInvisible();
  }
  EntryView entry() const override {
    return EntryView{
        node_->key(), version_->seq, version_->kind, {version_->value(), version_->value_size}};
  }
  Status status() const override { return Status::Ok(); }

 private:
  // Moves past keys with no version visible at the snapshot and picks the visible version.
  void SkipInvisible() {
    for (; node_ != nullptr; node_ = node_->Next(0)) {
      const MemTable::Version* v = node_->newest.load(std::memory_order_acquire);
      while (v != nullptr && v->seq > snapshot_) v = v->older;
      if (v != nullptr) {
        version_ = v;
        return;
      }
    }
  }

  std::shared_ptr<const MemTable> mem_;
  SequenceNumber snapshot_;
  const MemTable::Node* node_ = nullptr;
  const MemTable::Version* version_ = nullptr;
};

std::unique_ptr<Iterator> MemTable::NewIterator(SequenceNumber snapshot) const {
  return std::make_unique<MemTableIterator>(shared_from_this(), snapshot);
}

}  // namespace kv
