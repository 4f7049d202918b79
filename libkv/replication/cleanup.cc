#include "libkv/replication/cleanup.h"

#include <boost/asio/post.hpp>
#include <latch>
#include <mutex>

namespace kv {

namespace {

// Deletes in flight at once. Each waits for the group fsync that covers it (--sync batch); one at
// a time, they would pay an fsync each, as repair did before its window (kRepairWindow).
constexpr size_t kRemovers = 32;

}  // namespace

Result<std::unique_ptr<Cleanup>> Cleanup::Start(
    Engine* engine, std::function<std::shared_ptr<const ClusterView>()> view, size_t n) {
  std::shared_ptr<const ClusterView> now = view();
  if (now->changing())
    return Status::Unavailable(
        "nodes are joining or leaving; run cleanup once kvring shows every node normal");
  return std::unique_ptr<Cleanup>(new Cleanup(engine, std::move(view), std::move(now), n));
}

Cleanup::Cleanup(Engine* engine, std::function<std::shared_ptr<const ClusterView>()> view,
                 std::shared_ptr<const ClusterView> start_view, size_t n)
    : engine_(engine),
      view_(std::move(view)),
      start_view_(std::move(start_view)),
      self_(*start_view_, n, {start_view_->self}),
      deleters_(kRemovers) {}

Cleanup::~Cleanup() {
  deleters_.join();
}

Status Cleanup::CheckRingUnchanged() const {
  // A view is published whenever gossip sees a ring change, a node's restart included: compare
  // what decides the write sets, not the view object.
  std::shared_ptr<const ClusterView> now = view_();
  if (!now->changing() && now->ring->PlacesLike(*start_view_->ring)) return Status::Ok();
  return Status::Unavailable(
      "the ring changed during cleanup (a node joined or left); run kvring cleanup again once "
      "every node is normal");
}

Result<bool> Cleanup::Step(size_t max_keys, CleanupFigures* figures) {
  KV_RETURN_IF_ERROR(CheckRingUnchanged());
  std::vector<std::string> remove;
  uint64_t remove_bytes = 0;
  std::unique_ptr<Iterator> it = engine_->NewIterator();
  if (last_key_.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(last_key_);
    if (it->Valid() && it->entry().key == last_key_) it->Next();
  }
  size_t scanned = 0;
  for (; it->Valid() && scanned < max_keys; it->Next(), ++scanned) {
    const EntryView e = it->entry();
    last_key_.assign(e.key);
    if (!self_.Of(KeyToken(e.key)).empty()) continue;
    remove.emplace_back(e.key);
    remove_bytes += e.key.size() + e.value.size();
  }
  KV_RETURN_IF_ERROR(it->status());
  const bool more = it->Valid();
  it.reset();
  figures->keys_scanned += scanned;
  if (remove.empty()) return more;
  // Once more, right before removing: the scan may have taken a while.
  KV_RETURN_IF_ERROR(CheckRingUnchanged());
  KV_RETURN_IF_ERROR(RemoveAll(remove));
  figures->keys_removed += remove.size();
  figures->bytes_removed += remove_bytes;
  return more;
}

Status Cleanup::RemoveAll(const std::vector<std::string>& keys) {
  std::latch done(static_cast<std::ptrdiff_t>(keys.size()));
  std::mutex mu;
  Status first_error;
  for (const std::string& key : keys) {
    boost::asio::post(deleters_, [&, key = std::string_view(key)] {
      Status s = engine_->Delete(key);
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = std::move(s);
      }
      done.count_down();
    });
  }
  done.wait();
  return first_error;
}

}  // namespace kv
