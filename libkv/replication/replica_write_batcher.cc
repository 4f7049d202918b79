#include "libkv/replication/replica_write_batcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "libkv/net/messages.h"

namespace kv {

namespace asio = boost::asio;

namespace {

size_t WriteBytes(const ReplicaWriteRequest& w) {
  return w.key.size() + w.siblings.size() + w.hinted_for.size();
}

}  // namespace

void ReplicaWriteBatcher::Send(const asio::any_io_executor& executor, std::string address,
                               ReplicaWriteRequest write, Done done) {
  const size_t bytes = WriteBytes(write);
  std::shared_ptr<Batch> fresh;
  {
    std::lock_guard lock(mutex_);
    auto open = std::find_if(open_.begin(), open_.end(), [&](const std::shared_ptr<Batch>& b) {
      return b->executor == executor && b->address == address;
    });
    if (open != open_.end() && (*open)->bytes + bytes <= kMaxBytes) {
      Batch& batch = **open;
      batch.writes.push_back(std::move(write));
      batch.done.push_back(std::move(done));
      batch.bytes += bytes;
      // A full batch takes no more: the next write starts another.
      if (batch.writes.size() == kMaxWrites) open_.erase(open);
      return;
    }
    if (open != open_.end()) open_.erase(open);  // too full for this write; it leaves as it is
    fresh = std::make_shared<Batch>();
    fresh->executor = executor;
    fresh->address = std::move(address);
    fresh->writes.push_back(std::move(write));
    fresh->done.push_back(std::move(done));
    fresh->bytes = bytes;
    open_.push_back(fresh);
  }
  // Posted, not run now (co_spawn alone would start it here): what the executor already has
  // queued, such as the rest of this turn's requests, runs first and joins the batch.
  asio::post(executor, [this, executor, fresh = std::move(fresh)]() mutable {
    asio::co_spawn(executor, Flush(std::move(fresh)), asio::detached);
  });
}

asio::awaitable<void> ReplicaWriteBatcher::Flush(std::shared_ptr<Batch> batch) {
  {
    std::lock_guard lock(mutex_);
    std::erase(open_, batch);
  }
  if (batch->writes.size() == 1) {
    std::string body = EncodeMessage(batch->writes.front());
    Result<Frame> answer = co_await transport_->Call(
        batch->address, wire::MessageType::kReplicaWriteRequest, std::move(body), timeout_);
    batch->done.front()(answer.status());
    co_return;
  }
  ReplicaWriteBatchRequest request{.writes = std::move(batch->writes)};
  std::string body = EncodeMessage(request);
  request.writes.clear();
  Result<Frame> answer = co_await transport_->Call(
      batch->address, wire::MessageType::kReplicaWriteBatchRequest, std::move(body), timeout_);
  Result<ReplicaWriteBatchResponse> outcomes =
      answer.ok() ? DecodeMessage<ReplicaWriteBatchResponse>(answer->body)
                  : Result<ReplicaWriteBatchResponse>(answer.status());
  if (outcomes.ok() && outcomes->outcomes.size() != batch->done.size())
    outcomes = Status::Protocol(
        fmt::format("{} answered a batch of {} replica writes with {} outcomes", batch->address,
                    batch->done.size(), outcomes->outcomes.size()));
  for (size_t i = 0; i < batch->done.size(); ++i) {
    if (outcomes.ok()) {
      batch->done[i](std::move(outcomes->outcomes[i]));
    } else if (answer.ok()) {
      // The peer answered, but not as it should: whatever it did with the writes is unknown.
      batch->done[i](Status::MaybeApplied(outcomes.status().message()));
    } else {
      batch->done[i](outcomes.status());
    }
  }
}

}  // namespace kv
