// The engine's asynchronous write API (Engine::Submit): every write completes exactly once, the
// writes of one key complete in queue order and each read-modify-write sees the ones before it,
// a failed fsync fails its whole group and every later write, and a stop with writes in flight
// completes or fails each of them — none is dropped.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "libkv/env/env.h"
#include "libkv/env/fault_injection_env.h"
#include "libkv/storage/engine.h"
#include "tests/storage/gated_sync_env.h"
#include "tests/storage/quiet_logger.h"

namespace kv {
namespace {

EngineOptions Options(Env* env) {
  EngineOptions o;
  o.env = env;
  o.dir = "/db";
  o.memtable_bytes = 256 << 10;  // several memtable switches in the larger tests
  o.logger = testing::QuietLogger();
  return o;
}

// A write that records its completions; the test owns it.
class RecordedWrite final : public EngineWrite {
 public:
  void Decided() override {
    std::lock_guard lock(mu_);
    decided_before_done = done == 0;
    ++decided;
  }
  void Done(Status s) override {
    std::lock_guard lock(mu_);
    status = std::move(s);
    ++done;
    order = next_order->fetch_add(1);
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done > 0; });
  }

  std::string owned_key, owned_value;
  MergeFn owned_merge;
  std::atomic<int>* next_order = nullptr;
  int decided = 0, done = 0, order = -1;
  bool decided_before_done = false;
  Status status;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

std::unique_ptr<RecordedWrite> PutOf(std::string key, std::string value, std::atomic<int>* order) {
  auto w = std::make_unique<RecordedWrite>();
  w->owned_key = std::move(key);
  w->owned_value = std::move(value);
  w->kind = EngineWrite::Kind::kPut;
  w->key = w->owned_key;
  w->value = w->owned_value;
  w->next_order = order;
  return w;
}

// An update appending `suffix` to the key's value.
std::unique_ptr<RecordedWrite> AppendOf(std::string key, std::string suffix,
                                        std::atomic<int>* order) {
  auto w = std::make_unique<RecordedWrite>();
  w->owned_key = std::move(key);
  w->owned_merge =
      [suffix](std::optional<std::string_view> current) -> Result<std::optional<std::string>> {
    std::string next(current.value_or(""));
    next.append(suffix);
    return std::optional<std::string>(std::move(next));
  };
  w->kind = EngineWrite::Kind::kUpdate;
  w->key = w->owned_key;
  w->merge = &w->owned_merge;
  w->next_order = order;
  return w;
}

}  // namespace

TEST_CASE("engine submit: each write completes exactly once, one key's writes in queue order") {
  auto env = NewMemEnv();
  auto engine = std::move(*Engine::Open(Options(env.get())));
  std::atomic<int> order{0};
  std::vector<std::unique_ptr<RecordedWrite>> writes;
  for (int i = 0; i < 2000; ++i) {
    // Updates and puts of a few keys, interleaved: each append must see every write before it.
    if (i % 3 == 0)
      writes.push_back(PutOf(fmt::format("k{}", i % 5), "", &order));
    else
      writes.push_back(AppendOf(fmt::format("k{}", i % 5), fmt::format("{},", i), &order));
  }
  for (auto& w : writes) engine->Submit(w.get());
  for (auto& w : writes) w->Wait();
  std::vector<std::string> expect(5);
  for (int i = 0; i < 2000; ++i) {
    RecordedWrite& w = *writes[i];
    CHECK(w.status.ok());
    CHECK(w.done == 1);
    CHECK(w.order == i);  // completions in queue order
    if (w.kind == EngineWrite::Kind::kUpdate) {
      CHECK(w.decided == 1);
      CHECK(w.decided_before_done);
    } else {
      CHECK(w.decided == 0);
    }
    std::string& e = expect[i % 5];
    if (i % 3 == 0)
      e.clear();
    else
      e.append(fmt::format("{},", i));
  }
  for (int k = 0; k < 5; ++k) CHECK(**engine->Get(fmt::format("k{}", k)) == expect[k]);
  // Nothing completes twice, also later.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (auto& w : writes) CHECK(w->done == 1);
}

TEST_CASE("engine submit: concurrent read-modify-writes of one key lose nothing") {
  auto env = NewMemEnv();
  auto engine = std::move(*Engine::Open(Options(env.get())));
  Engine::MergeFn increment =
      [](std::optional<std::string_view> current) -> Result<std::optional<std::string>> {
    const int n = current ? std::stoi(std::string(*current)) : 0;
    return std::optional<std::string>(std::to_string(n + 1));
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) REQUIRE(engine->Update("counter", increment).ok());
    });
  for (auto& t : threads) t.join();
  CHECK(**engine->Get("counter") == "2000");
}

TEST_CASE("engine submit: a merge's failure fails that write alone, and no decision is made") {
  auto env = NewMemEnv();
  auto engine = std::move(*Engine::Open(Options(env.get())));
  std::atomic<int> order{0};
  auto before = PutOf("k", "a", &order);
  auto failing = AppendOf("k", "", &order);
  failing->owned_merge = [](std::optional<std::string_view>) -> Result<std::optional<std::string>> {
    return Status::InvalidArgument("no");
  };
  auto after = AppendOf("k", "b", &order);
  engine->Submit(before.get());
  engine->Submit(failing.get());
  engine->Submit(after.get());
  after->Wait();
  failing->Wait();
  CHECK(before->status.ok());
  CHECK(failing->status.code() == ErrorCode::kInvalidArgument);
  CHECK(failing->decided == 0);
  CHECK(after->status.ok());
  CHECK(**engine->Get("k") == "ab");
}

TEST_CASE("engine submit: a failed fsync fails every write of its group and every later one") {
  auto mem = NewMemEnv();
  FaultInjectionEnv faults(mem.get());
  GatedSyncEnv gate(&faults);
  auto engine = std::move(*Engine::Open(Options(&gate)));
  REQUIRE(engine->Put("before", "1").ok());
  std::atomic<int> order{0};
  // The first write's sync waits at the gate; the rest queue behind it and form the next group.
  gate.Close();
  auto first = PutOf("a", "1", &order);
  engine->Submit(first.get());
  gate.WaitForBlockedSync();
  std::vector<std::unique_ptr<RecordedWrite>> group;
  for (int i = 0; i < 20; ++i) {
    group.push_back(AppendOf(fmt::format("g{}", i), "x", &order));
    engine->Submit(group.back().get());
  }
  faults.SetFilesystemActive(false);
  gate.Open();
  first->Wait();
  for (auto& w : group) w->Wait();
  CHECK(first->status.code() == ErrorCode::kIOError);
  for (auto& w : group) {
    CHECK(w->status.code() == ErrorCode::kIOError);
    CHECK(w->done == 1);
  }
  faults.SetFilesystemActive(true);
  // Refused from now on, even with a working disk; nothing of the failed writes is visible.
  CHECK(engine->Put("later", "1").code() == ErrorCode::kIOError);
  CHECK(!engine->Get("a")->has_value());
  CHECK(!engine->Get("g0")->has_value());
  CHECK(**engine->Get("before") == "1");
}

TEST_CASE("engine submit: a stop with writes in flight completes or fails each of them") {
  auto env = NewMemEnv();
  std::atomic<int> order{0};
  std::vector<std::unique_ptr<RecordedWrite>> writes;
  {
    auto engine = std::move(*Engine::Open(Options(env.get())));
    for (int i = 0; i < 5000; ++i) {
      writes.push_back(AppendOf(fmt::format("k{}", i % 100), std::string(100, 'v'), &order));
      engine->Submit(writes.back().get());
    }
  }  // destroyed with most of them still queued
  int ok = 0, failed = 0;
  for (auto& w : writes) {
    REQUIRE(w->done == 1);  // every one completed (the destructor returns after that)
    if (w->status.ok())
      ++ok;
    else
      ++failed;
  }
  CHECK(ok + failed == 5000);
  // What was acknowledged is there after a reopen; what failed was never applied.
  auto engine = std::move(*Engine::Open(Options(env.get())));
  for (int k = 0; k < 100; ++k) {
    size_t acked = 0;
    for (int i = k; i < 5000; i += 100)
      if (writes[i]->status.ok()) ++acked;
    auto got = *engine->Get(fmt::format("k{}", k));
    CHECK(got.value_or("").size() == acked * 100);
  }
}

}  // namespace kv
