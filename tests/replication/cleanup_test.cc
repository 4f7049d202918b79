// Cleanup on one engine with a hand-made view: it removes exactly the keys this node does not
// replicate, walks the engine in steps, refuses to start while the ring changes, stops as soon as
// the ring changes under it (the safety that keeps a gained range's streamed keys), and does not
// mistake a view published again with the same ring for a change.
#include "libkv/replication/cleanup.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

#include "libkv/env/env.h"

namespace kv {
namespace {

std::shared_ptr<const ClusterView> ViewOf(const std::vector<std::string>& ring_nodes,
                                          const std::vector<std::string>& future_nodes) {
  auto ring = std::make_shared<const Ring>(Ring::WithVnodes(ring_nodes, 16));
  auto future = future_nodes == ring_nodes
                    ? ring
                    : std::make_shared<const Ring>(Ring::WithVnodes(future_nodes, 16));
  return std::make_shared<const ClusterView>(
      ClusterView{.self = "n1", .ring = ring, .future = future, .addresses = {}});
}

bool Replicates(const ClusterView& view, const std::string& key) {
  const std::vector<std::string> replicas = view.ring->PreferenceList(key, 3);
  return std::find(replicas.begin(), replicas.end(), view.self) != replicas.end();
}

struct Fixture {
  std::unique_ptr<Env> env = NewMemEnv();
  std::unique_ptr<Engine> engine;
  std::vector<std::string> keys;
  std::shared_ptr<const ClusterView> view;

  Fixture() {
    EngineOptions options;
    options.env = env.get();
    options.dir = "/db";
    Result<std::unique_ptr<Engine>> opened = Engine::Open(std::move(options));
    REQUIRE(opened.ok());
    engine = std::move(*opened);
    for (int i = 0; i < 1000; ++i) {
      keys.push_back(fmt::format("key-{:04}", i));
      REQUIRE(engine->Put(keys.back(), "value").ok());
    }
  }
  std::function<std::shared_ptr<const ClusterView>()> ViewFn() {
    return [this] { return view; };
  }
  size_t Held() {
    size_t n = 0;
    for (const std::string& k : keys) n += engine->Get(k)->has_value();
    return n;
  }
};

TEST_CASE("cleanup: removes exactly the keys this node does not replicate, in steps") {
  Fixture f;
  f.view = ViewOf({"n1", "n2", "n3", "n4", "n5"}, {"n1", "n2", "n3", "n4", "n5"});
  size_t theirs = 0;
  for (const std::string& k : f.keys) theirs += !Replicates(*f.view, k);
  REQUIRE(theirs > 100);  // not vacuous: about 2/5 of the keys are others'

  Result<std::unique_ptr<Cleanup>> cleanup = Cleanup::Start(f.engine.get(), f.ViewFn(), 3);
  REQUIRE(cleanup.ok());
  CleanupFigures figures;
  int steps = 0;
  for (bool more = true; more; ++steps) {
    // Published again (a node restarted): a new view object with the same ring is no change.
    f.view = ViewOf({"n1", "n2", "n3", "n4", "n5"}, {"n1", "n2", "n3", "n4", "n5"});
    Result<bool> stepped = (*cleanup)->Step(128, &figures);
    REQUIRE(stepped.ok());
    more = *stepped;
  }
  CHECK(steps == 8);  // 1000 keys, 128 a step
  CHECK(figures.keys_scanned == f.keys.size());
  CHECK(figures.keys_removed == theirs);
  CHECK(figures.bytes_removed == theirs * (8 + 5));
  for (const std::string& k : f.keys)
    CHECK(f.engine->Get(k)->has_value() == Replicates(*f.view, k));
}

TEST_CASE("cleanup: refused while the ring changes, and stops when it changes under it") {
  Fixture f;
  f.view = ViewOf({"n1", "n2", "n3", "n4"}, {"n1", "n2", "n3", "n4", "n5"});  // n5 joins
  Result<std::unique_ptr<Cleanup>> refused = Cleanup::Start(f.engine.get(), f.ViewFn(), 3);
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == ErrorCode::kUnavailable);

  f.view = ViewOf({"n1", "n2", "n3", "n4", "n5"}, {"n1", "n2", "n3", "n4", "n5"});
  Result<std::unique_ptr<Cleanup>> cleanup = Cleanup::Start(f.engine.get(), f.ViewFn(), 3);
  REQUIRE(cleanup.ok());
  CleanupFigures figures;
  REQUIRE((*cleanup)->Step(100, &figures).ok());
  const size_t held = f.Held();
  CHECK(held < f.keys.size());
  // n5 leaves: n1 may gain ranges and keys streamed to it. Nothing more may go.
  f.view = ViewOf({"n1", "n2", "n3", "n4", "n5"}, {"n1", "n2", "n3", "n4"});
  Result<bool> stopped = (*cleanup)->Step(100, &figures);
  REQUIRE(!stopped.ok());
  CHECK(stopped.status().code() == ErrorCode::kUnavailable);
  // And once it is done, a ring of other nodes is a change too.
  f.view = ViewOf({"n1", "n2", "n3", "n4"}, {"n1", "n2", "n3", "n4"});
  CHECK(!(*cleanup)->Step(100, &figures).ok());
  CHECK(f.Held() == held);
  CHECK(figures.keys_scanned == 100);
}

}  // namespace
}  // namespace kv
