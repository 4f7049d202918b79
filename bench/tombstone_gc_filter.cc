// What tombstone GC's compaction filter costs (docs/benchmarks.md, "Tombstone GC"): the time
// TombstoneGc::IsObsolete takes per value, and a full compaction of N sibling-set values with and
// without the filter, alternating, in memory (no disk: the filter's CPU share at its largest).
// Build: ninja -C build-rel kvbench-tombstone-gc (not built by default).
#include <fmt/format.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "libkv/env/env.h"
#include "libkv/replication/tombstone_gc.h"
#include "libkv/storage/engine.h"
#include "libkv/versioning/sibling_set.h"

namespace kv {
namespace {

using Clock = std::chrono::steady_clock;

// A typical stored set: one 100-byte value whose clock has three entries.
std::string TypicalSet() {
  SiblingSet s;
  SiblingWrite w;
  w.coordinator = 7;
  w.value = std::string(100, 'x');
  w.now_micros = 1;
  for (ClockId id = 1; id <= 3; ++id) w.context.Witness(id, 5, 1);
  if (!s.Put(std::move(w), ClockPruneOptions{}).ok()) std::abort();
  return s.Encode();
}

std::shared_ptr<TombstoneGc> OpenGc(Env* env) {
  TombstoneGcOptions o;
  o.env = env;
  o.wall_micros = [] { return uint64_t{2}; };
  auto gc = TombstoneGc::Open(std::move(o));
  if (!gc->RecordCompleteRepair(TokenRange{0, 0}, 1).ok()) std::abort();
  return gc;
}

double CompactSeconds(bool filter, int n, const std::string& value) {
  auto env = NewMemEnv();
  auto gc = OpenGc(env.get());
  EngineOptions o;
  o.env = env.get();
  o.dir = "/db";
  o.sync = SyncMode::kOff;
  o.logger =
      std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>());
  if (filter)
    o.value_is_obsolete = [gc](std::string_view k, std::string_view v) {
      return gc->IsObsolete(k, v);
    };
  auto engine = Engine::Open(std::move(o));
  if (!engine.ok()) std::abort();
  Engine& e = **engine;
  for (int i = 0; i < n; i++)
    if (!e.Put(fmt::format("key-{:09}", (i * 7919) % n), value).ok()) std::abort();
  if (!e.Delete("zzz").ok()) std::abort();  // an engine tombstone: both runs rewrite everything
  if (!e.Flush().ok()) std::abort();
  const auto t0 = Clock::now();
  if (!e.CompactAll().ok()) std::abort();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace
}  // namespace kv

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 500000;
  const std::string value = kv::TypicalSet();
  auto env = kv::NewMemEnv();
  auto gc = kv::OpenGc(env.get());
  const int calls = 2'000'000;
  uint64_t dropped = 0;
  const auto t0 = kv::Clock::now();
  for (int i = 0; i < calls; i++) dropped += gc->IsObsolete("key-000000123", value);
  const double us = std::chrono::duration<double, std::micro>(kv::Clock::now() - t0).count();
  std::printf("IsObsolete on a %zu-byte value set: %.3f us per call (%lu dropped)\n", value.size(),
              us / calls, static_cast<unsigned long>(dropped));
  for (int round = 0; round < 3; round++) {
    const double off = kv::CompactSeconds(false, n, value);
    const double on = kv::CompactSeconds(true, n, value);
    std::printf("CompactAll of %d keys: no filter %.3f s, tombstone GC filter %.3f s (%.2fx)\n", n,
                off, on, on / off);
  }
}
