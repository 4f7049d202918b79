// Engine writes from coroutines, without a thread that waits: the write is handed to the engine's
// commit queue (Engine::Submit) and its completions are posted to the coroutine's executor.
//
// SubmitWrite(engine, executor, write, on_decided, on_done) owns the write's key, value and merge
// rule until the engine is done with them; `on_decided` (an update's merge has run, before the
// fsync) and `on_done` (the final status) are posted to `executor` in that order. The executor
// is tracked as outstanding work until `on_done` has been posted, so an io_context does not run
// out of work while the engine holds the write. WriteAndWait is the plain awaitable form.
// Threads: any; the callbacks run on `executor`, never on the engine's commit thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string>
#include <utility>

#include "libkv/base/status.h"
#include "libkv/storage/engine.h"

namespace kv {

// What to write: the owned form of an EngineWrite's fields.
struct OwnedWrite {
  EngineWrite::Kind kind = EngineWrite::Kind::kPut;
  std::string key;
  std::string value;           // kPut
  EngineWrite::MergeFn merge;  // kUpdate
};

namespace engine_submission_detail {

template <class Executor, class OnDecided, class OnDone>
class Submission final : public EngineWrite {
 public:
  Submission(Executor executor, OwnedWrite write, OnDecided on_decided, OnDone on_done)
      : executor_(std::move(executor)),
        owned_(std::move(write)),
        on_decided_(std::move(on_decided)),
        on_done_(std::move(on_done)) {
    kind = owned_.kind;
    key = owned_.key;
    value = owned_.value;
    merge = &owned_.merge;
  }

  void Decided() override { boost::asio::post(executor_, std::move(on_decided_)); }

  void Done(Status status) override {
    boost::asio::post(executor_, [f = std::move(on_done_), s = std::move(status)]() mutable {
      std::move(f)(std::move(s));
    });
    delete this;  // the engine is done with it (EngineWrite's contract)
  }

 private:
  Executor executor_;
  OwnedWrite owned_;
  OnDecided on_decided_;
  OnDone on_done_;
};

}  // namespace engine_submission_detail

template <class OnDecided, class OnDone>
void SubmitWrite(Engine& engine, const boost::asio::any_io_executor& executor, OwnedWrite write,
                 OnDecided on_decided, OnDone on_done) {
  auto tracked = boost::asio::prefer(executor, boost::asio::execution::outstanding_work.tracked);
  using Sub = engine_submission_detail::Submission<decltype(tracked), OnDecided, OnDone>;
  engine.Submit(
      new Sub(std::move(tracked), std::move(write), std::move(on_decided), std::move(on_done)));
}

// The write's final status, on the awaiting coroutine's executor.
inline boost::asio::awaitable<Status> WriteAndWait(Engine& engine, OwnedWrite write) {
  namespace asio = boost::asio;
  auto initiation = [&engine](auto handler, OwnedWrite w) {
    auto executor = asio::get_associated_executor(handler);
    SubmitWrite(
        engine, executor, std::move(w), [] {},
        [h = std::move(handler)](Status s) mutable { std::move(h)(std::move(s)); });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Status)>(
      std::move(initiation), asio::use_awaitable, std::move(write));
}

}  // namespace kv
