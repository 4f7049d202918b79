#include "libkv/replication/cleanup.h"

namespace kv {

Result<std::unique_ptr<Cleanup>> Cleanup::Start(
    Engine* engine, std::function<std::shared_ptr<const ClusterView>()> view, size_t n,
    std::function<bool()> stopping) {
  std::shared_ptr<const ClusterView> now = view();
  if (now->changing())
    return Status::Unavailable(
        "nodes are joining or leaving; run cleanup once kvring shows every node normal");
  return std::unique_ptr<Cleanup>(
      new Cleanup(engine, std::move(view), std::move(now), n, std::move(stopping)));
}

Cleanup::Cleanup(Engine* engine, std::function<std::shared_ptr<const ClusterView>()> view,
                 std::shared_ptr<const ClusterView> start_view, size_t n,
                 std::function<bool()> stopping)
    : engine_(engine),
      view_(std::move(view)),
      start_view_(std::move(start_view)),
      stopping_(std::move(stopping)),
      self_(*start_view_, n, {start_view_->self}) {}

Status Cleanup::CheckMayGoOn() const {
  if (stopping_ && stopping_()) return Status::Unavailable("the node is stopping");
  // A view is published whenever gossip sees a ring change, a node's restart included: compare
  // what decides the write sets, not the view object.
  std::shared_ptr<const ClusterView> now = view_();
  if (!now->changing() && now->ring->PlacesLike(*start_view_->ring)) return Status::Ok();
  return Status::Unavailable(
      "the ring changed during cleanup (a node joined or left); run kvring cleanup again once "
      "every node is normal");
}

Result<CleanupFigures> Cleanup::Run() {
  KV_RETURN_IF_ERROR(CheckMayGoOn());
  const TableRewrite rewrite{
      .keep = [this](std::string_view key) { return !self_.Of(KeyToken(key)).empty(); },
      .check = [this] { return CheckMayGoOn(); }};
  KV_ASSIGN_OR_RETURN(RewriteFigures done, engine_->RewriteTables(rewrite, &progress_));
  return CleanupFigures{.keys_scanned = done.keys_scanned,
                        .keys_removed = done.keys_dropped,
                        .bytes_removed = done.bytes_dropped,
                        .table_bytes_before = done.table_bytes_before,
                        .table_bytes_after = done.table_bytes_after};
}

CleanupFigures Cleanup::progress() const {
  return CleanupFigures{.keys_scanned = progress_.keys_scanned.load(std::memory_order_relaxed),
                        .keys_removed = progress_.keys_dropped.load(std::memory_order_relaxed),
                        .bytes_removed = progress_.bytes_dropped.load(std::memory_order_relaxed)};
}

}  // namespace kv
