#include "libkv/replication/hinted_handoff.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "libkv/async/run_on_pool.h"
#include "libkv/net/messages.h"
#include "libkv/net/replica_messages.h"

namespace kv {

namespace asio = boost::asio;

namespace {
constexpr size_t kBatchBytes = 4 << 20;
// Targets that never come back still lose their hints at the window's end.
constexpr int kRoundsBetweenExpirySweeps = 60;
}  // namespace

void HintedHandoff::Start(asio::any_io_executor executor) {
  asio::co_spawn(executor, Rounds(), asio::detached);
}

void HintedHandoff::Stop() {
  stop_.Stop();
}

asio::awaitable<void> HintedHandoff::Rounds() {
  HintStore* store = s_.store;
  for (int round = 1;; ++round) {
    if (!co_await stop_.Sleep(options_.interval)) co_return;
    if (round % kRoundsBetweenExpirySweeps == 0) {
      const uint64_t now = s_.wall_micros();
      auto sweep = [store, now] { return store->DropExpired(now); };
      Result<uint64_t> dropped = co_await RunOnPool(*s_.engine_pool, std::move(sweep));
      if (dropped.ok() && *dropped > 0)
        s_.logger->warn(
            "hinted handoff: dropped {} hints older than the hint window; "
            "anti-entropy must repair those writes",
            *dropped);
    }
    const std::shared_ptr<const ClusterView> view = s_.view();
    for (const auto& [target, backlog] : store->PendingCounts()) {
      if (backlog.hints == 0 || !s_.is_up(target)) continue;
      const std::string address(view->AddressOf(target));
      if (address.empty()) continue;
      const uint64_t sent = co_await DeliverTo(target, address);
      if (sent > 0)
        s_.logger->info("hinted handoff: delivered {} hints to {} ({} left)", sent, target,
                        store->PendingCounts()[target].hints);
    }
  }
}

asio::awaitable<uint64_t> HintedHandoff::DeliverTo(const std::string& target,
                                                   const std::string& address) {
  HintStore* store = s_.store;
  const auto start = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  for (;;) {
    if (stop_.stopped()) co_return sent;
    const uint64_t now = s_.wall_micros();
    const size_t batch = options_.batch;
    auto read = [store, target, batch, now] {
      return store->Pending(target, batch, kBatchBytes, now);
    };
    Result<std::vector<Hint>> hints = co_await RunOnPool(*s_.engine_pool, std::move(read));
    if (!hints.ok()) {
      s_.logger->error("hinted handoff: cannot read the hints for {}: {}", target,
                       hints.status().ToString());
      co_return sent;
    }
    if (hints->empty()) co_return sent;
    for (Hint& hint : *hints) {
      // Named, not a temporary inside co_await: g++ 12 mis-destroys those.
      std::string body =
          EncodeMessage(ReplicaWriteRequest{.key = hint.key, .siblings = hint.siblings});
      std::string to = address;
      Result<Frame> answer =
          co_await s_.transport->Call(std::move(to), wire::MessageType::kReplicaWriteRequest,
                                      std::move(body), options_.timeout);
      if (!answer.ok()) {
        s_.logger->debug("hinted handoff to {} paused: {}", target, answer.status().ToString());
        co_return sent;
      }
      auto remove = [store, h = std::move(hint)] { return store->Remove(h); };
      Status removed = co_await RunOnPool(*s_.engine_pool, std::move(remove));
      if (!removed.ok()) {
        // Delivered but still stored: it will be sent again, which a merge makes harmless.
        s_.logger->error("hinted handoff: cannot remove a delivered hint: {}", removed.ToString());
        co_return sent;
      }
      ++sent;
      delivered_.fetch_add(1);
      co_await Pace(sent, start);
    }
  }
}

asio::awaitable<void> HintedHandoff::Pace(uint64_t sent_in_round,
                                          std::chrono::steady_clock::time_point round_start) {
  if (options_.max_hints_per_second == 0) co_return;
  const auto due = round_start + std::chrono::microseconds(sent_in_round * 1'000'000 /
                                                           options_.max_hints_per_second);
  if (std::chrono::steady_clock::now() >= due) co_return;
  (void)co_await stop_.Sleep(due - std::chrono::steady_clock::now());  // DeliverTo sees a stop
}

}  // namespace kv
