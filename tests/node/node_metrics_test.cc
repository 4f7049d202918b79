// A node's metrics (NodeService::MetricsText, asked for as kvring metrics asks: a MetricsRequest
// through Answer), from a node of a simulated cluster: the whole scrape is valid Prometheus text
// (ParseExposition checks every line against the format's grammar and rules), and its counters
// move with the requests made: N puts make kv_requests_total{op="put",outcome="ok"} grow by N,
// failures are counted under their outcome and by the coordinator.
#include <doctest/doctest.h>

#include "libkv/observability/exposition_parser.h"
#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

ParsedExposition Scrape(SimCluster& cluster, const std::string& via) {
  Result<std::string> text = cluster.Metrics(via);
  REQUIRE(text.ok());
  Result<ParsedExposition> parsed = ParseExposition(*text);
  INFO(*text);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  return *parsed;
}

// A sample's value, 0 when it is not there (a counter appears once it is not zero).
double ValueOr0(const ParsedExposition& m, std::string_view name,
                const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  return m.Value(name, labels).value_or(0);
}

double Requests(const ParsedExposition& m, const std::string& op, const std::string& outcome) {
  return ValueOr0(m, "kv_requests_total", {{"op", op}, {"outcome", outcome}});
}

TEST_CASE("node metrics: a scrape is valid exposition text and counts the requests made") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  const ParsedExposition before = Scrape(cluster, "n1");
  // Every family is named as Prometheus's naming guide says and explains itself.
  for (const ParsedFamily& f : before.families) {
    INFO(f.name);
    CHECK((f.name.starts_with("kv_") || f.name.starts_with("process_")));
    CHECK(!f.help.empty());
    if (f.type == "counter") CHECK(f.name.ends_with("_total"));
  }
  for (const char* family :
       {"kv_requests_total", "kv_request_duration_seconds", "kv_memtable_bytes", "kv_tables",
        "kv_compactions_total", "kv_write_delays_total", "kv_block_cache_hits_total", "kv_hints",
        "kv_hints_delivered_total", "kv_repairs_total", "kv_repair_last_complete_timestamp_seconds",
        "kv_nodes", "kv_coordinator_read_repairs_total", "process_cpu_seconds_total",
        "process_resident_memory_bytes", "process_start_time_seconds", "process_open_fds"})
    CHECK_MESSAGE(before.Find(family) != nullptr, family);
  CHECK(before.Value("kv_node_info", {{"id", "n1"}, {"version", KV_VERSION}}) == 1);
  CHECK(before.Value("kv_nodes", {{"status", "normal"}, {"state", "up"}}) == 3);
  CHECK(before.Value("kv_nodes", {{"status", "normal"}, {"state", "down"}}) == 0);
  CHECK(before.Value("kv_node_status", {{"status", "normal"}}) == 1);
  CHECK(before.Value("kv_node_status", {{"status", "joining"}}) == 0);
  CHECK(ValueOr0(before, "process_resident_memory_bytes") > 0);
  CHECK(ValueOr0(before, "process_open_fds") > 0);
  CHECK(ValueOr0(before, "process_start_time_seconds") > 1.6e9);

  constexpr int kPuts = 25;
  for (int i = 0; i < kPuts; ++i)
    REQUIRE(cluster.Put("n1", fmt::format("key{}", i), fmt::format("value{}", i)).ok());
  Result<SimGet> missing = cluster.Get("n1", "no such key");
  REQUIRE(missing.ok());
  REQUIRE(!missing->found);
  REQUIRE(cluster.Get("n1", "key1").ok());
  REQUIRE(cluster.Get("n1", "key1", 9).status().code() == ErrorCode::kInvalidArgument);

  const ParsedExposition after = Scrape(cluster, "n1");
  CHECK(Requests(after, "put", "ok") - Requests(before, "put", "ok") == kPuts);
  CHECK(Requests(after, "get", "ok") - Requests(before, "get", "ok") == 1);
  CHECK(Requests(after, "get", "not_found") - Requests(before, "get", "not_found") == 1);
  CHECK(Requests(after, "get", "invalid_argument") - Requests(before, "get", "invalid_argument") ==
        1);
  // The scrape before this one was a request too.
  CHECK(Requests(after, "metrics", "ok") - Requests(before, "metrics", "ok") == 1);
  // The histogram counts the same puts, each in one bucket, and times them.
  const auto put_count = [](const ParsedExposition& m) {
    return ValueOr0(m, "kv_request_duration_seconds_count", {{"op", "put"}});
  };
  CHECK(put_count(after) - put_count(before) == kPuts);
  CHECK(ValueOr0(after, "kv_request_duration_seconds_sum", {{"op", "put"}}) > 0);
  CHECK(ValueOr0(after, "kv_commit_log_records_total") >=
        ValueOr0(before, "kv_commit_log_records_total") + kPuts);

  // The replicas answered the coordinator's writes: counted on their side, as replica writes.
  const ParsedExposition n2 = Scrape(cluster, "n2");
  CHECK(Requests(n2, "replica_write", "ok") + Requests(n2, "replica_write_batch", "ok") > 0);
  CHECK(Requests(n2, "put", "ok") == 0);  // n2 coordinated none
  CHECK(Requests(n2, "gossip", "ok") > 0);
}

TEST_CASE("node metrics: quorum failures, maybe-applied writes and hints are counted") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  const ParsedExposition before = Scrape(cluster, "n1");
  cluster.network().Crash(SimCluster::AddressOf("n3"));
  // W=3 with a replica down: n1 stores the write, misses its quorum and keeps a hint for n3.
  Status put = cluster.Put("n1", "k", "v", {}, 3, /*primaries_only=*/true);
  REQUIRE(put.code() == ErrorCode::kMaybeApplied);
  Result<SimGet> get = cluster.Get("n1", "k", 3);
  REQUIRE(!get.ok());
  const ErrorCode get_code = get.status().code();
  REQUIRE((get_code == ErrorCode::kUnavailable || get_code == ErrorCode::kTimeout));

  ParsedExposition after = Scrape(cluster, "n1");
  auto grew = [&](std::string_view name) { return ValueOr0(after, name) - ValueOr0(before, name); };
  CHECK(grew("kv_coordinator_write_quorum_failures_total") == 1);
  CHECK(grew("kv_coordinator_maybe_applied_writes_total") == 1);
  CHECK(grew("kv_coordinator_read_quorum_failures_total") == 1);
  CHECK(Requests(after, "put", "maybe_applied") - Requests(before, "put", "maybe_applied") == 1);
  const std::string get_outcome = get_code == ErrorCode::kTimeout ? "timeout" : "unavailable";
  CHECK(Requests(after, "get", get_outcome) - Requests(before, "get", get_outcome) == 1);
  // The hint for n3 is kept once every copy has landed or failed: a moment after the answer.
  CHECK(SimCluster::Eventually([&] {
    after = Scrape(cluster, "n1");
    return ValueOr0(after, "kv_hints") >= 1;
  }));
  CHECK(grew("kv_hints_stored_total") >= 1);
}

TEST_CASE("node metrics: a repair is counted, with the time it completed") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  REQUIRE(cluster.Put("n1", "a", "1").ok());
  const ParsedExposition before = Scrape(cluster, "n1");
  CHECK(ValueOr0(before, "kv_repair_last_complete_timestamp_seconds") == 0);
  const RepairResponse figures = cluster.RepairAll("n1");
  const ParsedExposition after = Scrape(cluster, "n1");
  CHECK(ValueOr0(after, "kv_repairs_total") > 0);
  CHECK(ValueOr0(after, "kv_repairs_incomplete_total") == 0);
  CHECK(ValueOr0(after, "kv_repair_keys_compared_total") == figures.keys_compared);
  CHECK(ValueOr0(after, "kv_repair_last_complete_timestamp_seconds") > 1.6e9);
}

}  // namespace
}  // namespace kv
