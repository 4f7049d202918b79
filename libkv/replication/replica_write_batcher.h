// ReplicaWriteBatcher: how a coordinator sends its replica writes. The writes for one peer that
// are sent from one executor in the same turn of its event loop (a shard's: every put that the
// shard's connections brought in one read) leave together as one ReplicaWriteBatch frame, which
// the replica applies as one group (one fsync) and answers once with each write's outcome. A
// write sent alone leaves as a plain ReplicaWrite, as before batching. Each write's outcome is
// the one a call of its own would have had (transport.h): a failure of the batch's call is every
// write's failure, with the same code (Unavailable only when nothing was sent).
//
// Threads: Send from any executor that does not run handlers in parallel (a shard, a strand);
// `done` runs on that executor. The batcher must outlive the executors' event loops, or they
// must be stopped first (a batch not yet sent is then dropped with its callbacks unrun).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/net/replica_messages.h"
#include "libkv/net/transport.h"

namespace kv {

class ReplicaWriteBatcher {
 public:
  using Done = std::function<void(Status)>;

  // A batch holds at most this many writes and (but for a single write) this many bytes of them.
  static constexpr size_t kMaxWrites = 128;
  static constexpr size_t kMaxBytes = 1 << 20;

  ReplicaWriteBatcher(Transport* transport, std::chrono::milliseconds timeout)
      : transport_(transport), timeout_(timeout) {}
  ReplicaWriteBatcher(const ReplicaWriteBatcher&) = delete;
  ReplicaWriteBatcher& operator=(const ReplicaWriteBatcher&) = delete;

  // Sends `write` to the node at `address`, with the other writes for it sent from `executor`
  // before its event loop next runs what is queued; `done` gets the write's outcome.
  void Send(const boost::asio::any_io_executor& executor, std::string address,
            ReplicaWriteRequest write, Done done);

 private:
  struct Batch {
    boost::asio::any_io_executor executor;
    std::string address;
    std::vector<ReplicaWriteRequest> writes;
    std::vector<Done> done;
    size_t bytes = 0;
  };

  // Takes `batch` out of the open ones and sends it.
  boost::asio::awaitable<void> Flush(std::shared_ptr<Batch> batch);

  Transport* const transport_;
  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  // Batches that take more writes: few (one per executor and peer at most), so a list.
  std::vector<std::shared_ptr<Batch>> open_;  // GUARDED_BY(mutex_)
};

}  // namespace kv
