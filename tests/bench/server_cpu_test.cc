// kvbench net's server CPU per operation: the growth of each node's CPU time between the samples
// before and after the run, over the nodes sampled both times by the same process, divided by the
// operations; and how the report prints it.
#include "tools/kvbench/server_cpu.h"

#include <doctest/doctest.h>

#include "tools/kvbench/bench_report.h"

namespace kv::bench {
namespace {

NodeCpu Node(std::string id, double uptime, uint64_t micros) {
  return NodeCpu{.address = "127.0.0.1:700" + id.substr(1),
                 .id = id,
                 .uptime_seconds = uptime,
                 .micros = micros};
}

TEST_CASE("server CPU: the growth summed over the nodes, per operation") {
  const ServerCpuSample before{
      .nodes = {Node("n1", 10, 1000), Node("n2", 11, 5000), Node("n3", 12, 0)}, .notes = {}};
  const ServerCpuSample after{
      .nodes = {Node("n2", 21, 7000), Node("n1", 20, 4000), Node("n3", 22, 1500)}, .notes = {}};
  const ServerCpu cpu = ServerCpuPerOp(before, after, 1000);
  REQUIRE(cpu.micros_per_op);
  CHECK(cpu.micros == 3000 + 2000 + 1500);
  CHECK(*cpu.micros_per_op == doctest::Approx(6.5));
  CHECK(cpu.nodes == 3);
  CHECK(cpu.note.empty());
}

TEST_CASE("server CPU: a node restarted or sampled once is left out, and the note says so") {
  const ServerCpuSample before{
      .nodes = {Node("n1", 100, 9000), Node("n2", 100, 1000), Node("n3", 100, 1000)},
      .notes = {"n4 is down, not counted"}};
  // n1 restarted (uptime and CPU began again), n3 did not answer after, n5 was not there before.
  const ServerCpuSample after{
      .nodes = {Node("n1", 2, 500), Node("n2", 105, 3000), Node("n5", 1, 100)},
      .notes = {"n4 is down, not counted", "n3 (127.0.0.1:7003) did not answer: timeout"}};
  const ServerCpu cpu = ServerCpuPerOp(before, after, 100);
  REQUIRE(cpu.micros_per_op);
  CHECK(cpu.nodes == 1);
  CHECK(cpu.micros == 2000);
  CHECK(*cpu.micros_per_op == doctest::Approx(20.0));
  CHECK(cpu.note ==
        "n4 is down, not counted; n3 (127.0.0.1:7003) did not answer: timeout; n1 restarted "
        "during the run, not counted; n5 was not sampled before the run, not counted; n3 was not "
        "sampled after the run, not counted");

  // Another process at the same address (another id) is not the same node either, nor is one
  // whose CPU time went back while its uptime did not.
  const ServerCpuSample other{.nodes = {Node("n2", 200, 9000)}, .notes = {}};
  ServerCpuSample renamed = other;
  renamed.nodes[0].id = "x";
  CHECK(ServerCpuPerOp(other, renamed, 10).nodes == 0);
  ServerCpuSample back = other;
  back.nodes[0].micros = 8999;
  back.nodes[0].uptime_seconds = 201;
  const ServerCpu went_back = ServerCpuPerOp(other, back, 10);
  CHECK(!went_back.micros_per_op);
  CHECK(went_back.note == "n2 restarted during the run, not counted");
}

TEST_CASE("server CPU: unknown without operations or without a node sampled twice") {
  const ServerCpuSample one{.nodes = {Node("n1", 1, 10)}, .notes = {}};
  const ServerCpuSample later{.nodes = {Node("n1", 2, 20)}, .notes = {}};
  CHECK(!ServerCpuPerOp(one, later, 0).micros_per_op);
  const ServerCpuSample none{.nodes = {}, .notes = {"127.0.0.1:7001 did not answer: refused"}};
  const ServerCpu cpu = ServerCpuPerOp(none, later, 10);
  CHECK(!cpu.micros_per_op);
  CHECK(cpu.nodes == 0);
  CHECK(cpu.note.find("did not answer") != std::string::npos);
}

TEST_CASE("server CPU in the report: the summary line and the JSON fields") {
  BenchReport r;
  r.system = "kv";
  r.workload = "put";
  r.ops = 10;
  r.seconds = 1;
  CHECK(FormatHuman(r).find("server CPU") == std::string::npos);
  CHECK(FormatJson(r).find("server_cpu") == std::string::npos);

  r.server_cpu_us_per_op = 41.24;
  r.server_cpu_nodes = 3;
  CHECK(FormatHuman(r).find("\n  server CPU: 41.2 µs/op (user+system, 3 nodes)\n") !=
        std::string::npos);
  CHECK(FormatJson(r).find(R"(,"server_cpu_us_per_op":41.24,"server_cpu_nodes":3})") !=
        std::string::npos);

  r.server_cpu_nodes = 1;
  r.server_cpu_note = "the ring could not be read (x): the asked node only";
  CHECK(FormatHuman(r).find("server CPU: 41.2 µs/op (user+system, 1 node; the ring could not be "
                            "read (x): the asked node only)\n") != std::string::npos);
  CHECK(FormatJson(r).find(R"("server_cpu_note":"the ring could not be read)") !=
        std::string::npos);

  r.server_cpu_us_per_op.reset();
  r.server_cpu_nodes = 0;
  CHECK(FormatJson(r).find(R"("server_cpu_us_per_op":null,"server_cpu_nodes":0)") !=
        std::string::npos);
  CHECK(FormatHuman(r).find("server CPU: unknown (the ring") != std::string::npos);
}

}  // namespace
}  // namespace kv::bench
