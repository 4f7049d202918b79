// Anti-entropy in bounded memory (issue 15): a session's trees hold leaf sums, not keys, and the
// keys of the differing leaves are gathered in slices of the key order, so what a repair holds
// does not grow with the key count. Shown two ways: the process's peak resident memory while an
// in-sync repair of 300,000 keys runs (the three nodes share this process), under a ceiling the
// old per-key trees (about 50-60 bytes a key per peer, on each side) went far past; and a repair
// in which every leaf differs both ways, on nodes with the smallest memory budget, which must
// run in many slices within the session share.
#include <doctest/doctest.h>
#include <malloc.h>

#include <fstream>

#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

// A field of /proc/self/status ("VmHWM:   1234 kB"), in bytes.
size_t ProcStatusBytes(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  return 0;
}

// Writes a sibling set for keys [0, keys) straight into the engines of the nodes `holds` names
// (a client write each would take minutes here).
void Fill(SimCluster& cluster, int keys,
          const std::function<std::vector<std::string>(int)>& holds) {
  for (int i = 0; i < keys; ++i) {
    SiblingSet set;
    Version v;
    v.dot = Dot{.id = 7, .counter = static_cast<uint64_t>(i) + 1};
    v.value = fmt::format("v{}", i);
    set.Add(v);
    const std::string encoded = set.Encode();
    for (const std::string& id : holds(i))
      REQUIRE(cluster.engine(id).Put(fmt::format("key-{:06}", i), encoded).ok());
  }
}

TEST_CASE("repair memory (sim): an in-sync repair of 300,000 keys grows the peak RSS < 24 MiB") {
  // Freed large blocks go back to the system at once (no dynamic mmap threshold, no heap kept
  // for reuse), so that the peak measures what this repair holds, not memory an earlier one
  // left resident for it to reuse.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  mallopt(M_TRIM_THRESHOLD, 64 * 1024);
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  SimCluster cluster(options);
  constexpr int kKeys = 300'000;
  Fill(cluster, kKeys, [](int) { return std::vector<std::string>{"n1", "n2", "n3"}; });
  // A first repair warms what stays (block caches, connections); the second is measured.
  REQUIRE(cluster.RepairAll("n3").keys_differing == 0);
  std::ofstream("/proc/self/clear_refs") << "5";  // the peak RSS starts again from now
  const size_t before = ProcStatusBytes("VmRSS:");
  RepairResponse repaired = cluster.RepairAll("n3");
  const size_t peak = ProcStatusBytes("VmHWM:");
  CHECK(repaired.replicas_unreachable == 0);
  CHECK(repaired.keys_differing == 0);
  const size_t growth = peak > before ? peak - before : 0;
  MESSAGE("an in-sync repair of " << kKeys << " keys: peak RSS " << (peak >> 20) << " MiB, "
                                  << (growth >> 20) << " MiB over the " << (before >> 20)
                                  << " MiB before it");
  // The old per-key trees grew it by 57 MiB here (two peers' on this side, each peer's own):
  // went past this ceiling (checked once against the code before issue 15: the positive
  // control, docs/benchmarks.md "Anti-entropy memory").
  CHECK(growth < size_t{24} << 20);
  for (const char* id : {"n1", "n2", "n3"}) {
    const MemoryShare::Figures m = cluster.service(id).anti_entropy().session_memory();
    MESSAGE(std::string(id) << ": session memory peak " << m.peak << " of a share of "
                            << m.capacity);
    CHECK(m.used == 0);  // every reservation given back
    CHECK(m.peak <= m.capacity);
    CHECK(m.peak > 0);
  }
}

TEST_CASE("repair memory (sim): with every leaf differing both ways, slices keep to the share") {
  // The smallest budget: a session share of about half a MiB, slices of about 31 KiB (some 800
  // keys), so 20,000 keys that differ cross in dozens of slices on each side.
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  options.memory_budget = kMinMemoryBudget;
  SimCluster cluster(options);
  constexpr int kKeys = 20'000;
  // Even keys on n1 and n2 only, odd keys on n3 only: n3 fetches the ones and sends the others.
  Fill(cluster, kKeys, [](int i) {
    return i % 2 == 0 ? std::vector<std::string>{"n1", "n2"} : std::vector<std::string>{"n3"};
  });
  RepairResponse repaired = cluster.RepairAll("n3");
  CHECK(repaired.replicas_unreachable == 0);
  CHECK(repaired.problems.empty());
  CHECK(repaired.keys_differing >= kKeys);
  int missing = 0;
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = fmt::format("key-{:06}", i);
    for (const char* id : {"n1", "n2", "n3"}) missing += cluster.StoredAt(id, key).empty();
  }
  CHECK(missing == 0);
  for (const char* id : {"n1", "n2", "n3"}) {
    const MemoryShare::Figures m = cluster.service(id).anti_entropy().session_memory();
    MESSAGE(std::string(id) << ": session memory peak " << m.peak << " of a share of "
                            << m.capacity);
    CHECK(m.capacity < size_t{1} << 20);
    CHECK(m.peak <= m.capacity);
    CHECK(m.used == 0);
  }
  CHECK(cluster.RepairAll("n3").keys_compared == 0);
}

TEST_CASE("repair memory (sim): a responder refuses a tree its session share has no room for") {
  // At the smallest budget the share is under half a MiB; a tree of depth 16 takes 1.5 MiB to
  // build. The peer that asks is told why (Unavailable, naming the share), nothing is cached, and
  // nothing stays reserved; a depth the share affords is answered.
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.memory_budget = kMinMemoryBudget;
  SimCluster cluster(options);
  AntiEntropy& ae = cluster.service("n1").anti_entropy();
  const size_t cached = ae.tree_cache().trees;
  MerkleLevelRequest deep{
      .range_start = 0, .range_end = 0, .depth = 16, .level = 0, .indices = {0}, .peer = "n2"};
  Result<MerkleLevelResponse> refused = ae.AnswerLevel(deep);
  CHECK(refused.status().code() == ErrorCode::kUnavailable);
  CHECK(refused.status().message().find("share of the memory budget") != std::string::npos);
  CHECK(ae.tree_cache().trees == cached);
  CHECK(ae.session_memory().used == 0);
  MerkleLevelRequest shallow = deep;
  shallow.depth = 10;
  CHECK(ae.AnswerLevel(shallow).ok());
}

// The figure in docs/benchmarks.md ("Anti-entropy memory"), skipped by default:
//   KV_REPAIR_MEMORY_KEYS=1000000 kv_tests -tc='repair memory figure*' -ns
// An in-sync repair of the keys, then one with n3 wiped (n1 and n2 hold every key), each with the
// process's peak RSS over what it held before (three nodes and their in-memory data).
TEST_CASE("repair memory figure: peak RSS of in-sync and wiped repairs" * doctest::skip()) {
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  mallopt(M_TRIM_THRESHOLD, 64 * 1024);
  const char* env = std::getenv("KV_REPAIR_MEMORY_KEYS");
  const int keys = env ? std::atoi(env) : 1'000'000;
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.hinted_handoff = false;
  options.request_timeout = std::chrono::milliseconds(60000);
  SimCluster cluster(options);
  const auto fill_start = std::chrono::steady_clock::now();
  Fill(cluster, keys, [](int) { return std::vector<std::string>{"n1", "n2", "n3"}; });
  MESSAGE("filled "
          << keys << " keys on 3 nodes in "
          << std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count()
          << " s");
  auto measure = [&](const char* what) {
    std::ofstream("/proc/self/clear_refs") << "5";
    const size_t before = ProcStatusBytes("VmRSS:");
    const auto start = std::chrono::steady_clock::now();
    Result<RepairResponse> r =
        cluster.Repair("n3", RepairRequest{.range_start = 0, .range_end = 0});
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const size_t peak = ProcStatusBytes("VmHWM:");
    MESSAGE(std::string(what) << ": " << (r.ok() ? "ok" : r.status().ToString()) << ", "
                              << (r.ok() ? r->keys_repaired : 0) << " keys repaired, " << took
                              << " s, RSS before " << (before >> 20) << " MiB, peak "
                              << ((peak - before) >> 20) << " MiB over it"
                              << (r.ok() && !r->problems.empty() ? "; problems: " + r->problems
                                                                 : std::string()));
    for (const char* id : {"n1", "n2", "n3"}) {  // session memory
      const MemoryShare::Figures m = cluster.service(id).anti_entropy().session_memory();
      MESSAGE("  " << std::string(id) << ": session memory peak " << m.peak << " of a share of "
                   << m.capacity);
    }
  };
  measure("repair (warm-up)");
  measure("in-sync repair");
  cluster.Wipe("n3", {.keep_membership = true, .keep_clock_id = false});
  cluster.WaitUntilAllUp();
  measure("wiped repair");
}

}  // namespace
}  // namespace kv
