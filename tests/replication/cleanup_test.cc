// Cleanup on one engine with a hand-made view: it removes exactly the keys this node does not
// replicate (by rewriting the tables: no tombstone written, the tables shrink), refuses to start
// while the ring changes, stops as soon as the ring changes under it removing nothing (the safety
// that keeps a gained range's streamed keys), and does not mistake a view published again with
// the same ring for a change.
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

// 20,000 keys: several check intervals of the rewrite (every 4,096 keys).
constexpr int kKeys = 20000;

struct Fixture {
  std::unique_ptr<Env> env = NewMemEnv();
  std::unique_ptr<Engine> engine;
  std::vector<std::string> keys;
  std::shared_ptr<const ClusterView> view;
  int view_calls = 0;
  // When set, the view the cleanup sees from this call on.
  int change_at_call = 0;
  std::shared_ptr<const ClusterView> changed;

  Fixture() {
    EngineOptions options;
    options.env = env.get();
    options.dir = "/db";
    Result<std::unique_ptr<Engine>> opened = Engine::Open(std::move(options));
    REQUIRE(opened.ok());
    engine = std::move(*opened);
    for (int i = 0; i < kKeys; ++i) {
      keys.push_back(fmt::format("key-{:05}", i));
      REQUIRE(engine->Put(keys.back(), "value").ok());
    }
  }
  std::function<std::shared_ptr<const ClusterView>()> ViewFn() {
    return [this] {
      ++view_calls;
      if (change_at_call > 0 && view_calls >= change_at_call) return changed;
      // Published again (a node restarted): a new view object with the same ring is no change.
      return ViewOf(view->ring->nodes(), view->future->nodes());
    };
  }
  size_t Held() {
    size_t n = 0;
    for (const std::string& k : keys) n += engine->Get(k)->has_value();
    return n;
  }
};

TEST_CASE("cleanup: removes exactly the keys this node does not replicate, writing no tombstone") {
  Fixture f;
  f.view = ViewOf({"n1", "n2", "n3", "n4", "n5"}, {"n1", "n2", "n3", "n4", "n5"});
  size_t theirs = 0;
  for (const std::string& k : f.keys) theirs += !Replicates(*f.view, k);
  REQUIRE(theirs > kKeys / 4);  // not vacuous: about 2/5 of the keys are others'

  const SequenceNumber seq = f.engine->stats().last_sequence;
  Result<std::unique_ptr<Cleanup>> cleanup = Cleanup::Start(f.engine.get(), f.ViewFn(), 3);
  REQUIRE(cleanup.ok());
  Result<CleanupFigures> figures = (*cleanup)->Run();
  REQUIRE(figures.ok());
  CHECK(f.view_calls > 2);  // checked along the way, not only at the start
  CHECK(figures->keys_scanned == f.keys.size());
  CHECK(figures->keys_removed == theirs);
  CHECK(figures->bytes_removed == theirs * (9 + 5));
  CHECK(figures->table_bytes_after < figures->table_bytes_before);
  const EngineStats stats = f.engine->stats();
  CHECK(stats.table_bytes == figures->table_bytes_after);  // the old tables are gone
  CHECK(stats.last_sequence == seq);                       // nothing written: no tombstone
  CHECK(stats.estimated_keys == f.keys.size() - theirs);   // the tables hold no tombstone
  for (const std::string& k : f.keys)
    CHECK(f.engine->Get(k)->has_value() == Replicates(*f.view, k));
  // The progress a node reports while it runs ends at the result.
  CHECK((*cleanup)->progress().keys_removed == theirs);
}

TEST_CASE("cleanup: refused while the ring changes, and stops when it changes under it") {
  Fixture f;
  f.view = ViewOf({"n1", "n2", "n3", "n4"}, {"n1", "n2", "n3", "n4", "n5"});  // n5 joins
  Result<std::unique_ptr<Cleanup>> refused = Cleanup::Start(f.engine.get(), f.ViewFn(), 3);
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == ErrorCode::kUnavailable);

  SUBCASE("during the rewrite") {
    f.change_at_call = 3;
  }
  SUBCASE("right before the new tables replace the old") {
    // Start, the first check of Run, one per 4,096 keys, then the last one.
    f.change_at_call = 2 + kKeys / 4096 + 1;
  }
  f.view = ViewOf({"n1", "n2", "n3", "n4", "n5"}, {"n1", "n2", "n3", "n4", "n5"});
  // n5 leaves: n1 may gain ranges and keys streamed to it. Nothing may go.
  f.changed = ViewOf({"n1", "n2", "n3", "n4", "n5"}, {"n1", "n2", "n3", "n4"});
  f.view_calls = 0;
  Result<std::unique_ptr<Cleanup>> cleanup = Cleanup::Start(f.engine.get(), f.ViewFn(), 3);
  REQUIRE(cleanup.ok());
  REQUIRE(f.engine->Flush().ok());
  const uint64_t before = f.engine->stats().table_bytes;
  Result<CleanupFigures> stopped = (*cleanup)->Run();
  REQUIRE(!stopped.ok());
  CHECK(stopped.status().code() == ErrorCode::kUnavailable);
  CHECK(f.view_calls == f.change_at_call);  // stopped at the first check that saw the change
  CHECK(f.Held() == f.keys.size());
  CHECK(f.engine->stats().table_bytes == before);
  // The rewrite's own tables are gone too: only the live tables, the log and the manifest.
  Result<std::vector<std::string>> files = f.env->GetChildren("/db");
  REQUIRE(files.ok());
  size_t tables = 0;
  for (const std::string& name : *files) tables += name.ends_with(".sst");
  CHECK(tables == f.engine->stats().tables);
}

}  // namespace
}  // namespace kv
