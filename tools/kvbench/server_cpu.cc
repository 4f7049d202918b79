#include "tools/kvbench/server_cpu.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace kv::bench {

namespace {

Result<NodeCpu> AskNode(Client& client) {
  KV_ASSIGN_OR_RETURN(StatsResponse stats, client.Stats());
  return NodeCpu{.address = client.node().ToString(),
                 .id = stats.id,
                 .uptime_seconds = stats.uptime_seconds,
                 .micros = stats.cpu_user_micros + stats.cpu_system_micros};
}

Result<NodeCpu> AskNode(const HostPort& address, const ClientOptions& options) {
  KV_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Connect(address, options));
  return AskNode(*client);
}

void Append(std::string* note, std::string_view more) {
  if (more.empty()) return;
  if (!note->empty()) *note += "; ";
  *note += more;
}

}  // namespace

ServerCpuSample SampleServerCpu(const HostPort& node, const ClientOptions& options) {
  ServerCpuSample sample;
  // The asked node is reached at the address kvbench was given, which works even where the one
  // it advertises does not (NAT, a tunnel); the others at the addresses the ring gives.
  Result<std::unique_ptr<Client>> client = Client::Connect(node, options);
  Result<NodeCpu> self = client.ok() ? AskNode(**client) : client.status();
  if (!self.ok()) {
    if (self.status().Is(ErrorCode::kPermissionDenied)) {
      // Refused by role (TLS with a client certificate): the run goes on without the figure.
      sample.notes.push_back(
          "server CPU not measured: a node's figures (StatsRequest) need an admin certificate");
      return sample;
    }
    sample.notes.push_back(
        fmt::format("{} did not answer: {}", node.ToString(), self.status().ToString()));
    return sample;
  }
  sample.nodes.push_back(std::move(*self));
  Result<RingResponse> ring = (*client)->Ring();
  if (!ring.ok()) {
    sample.notes.push_back(fmt::format("the ring could not be read ({}): the asked node only",
                                       ring.status().ToString()));
    return sample;
  }
  for (const RingNodeInfo& n : ring->nodes) {
    if (n.id == ring->self) continue;
    if (!n.up || n.state == "left") {
      sample.notes.push_back(fmt::format("{} is {}, not counted", n.id, n.up ? n.state : "down"));
      continue;
    }
    Result<HostPort> address = ParseHostPort(n.address);
    Result<NodeCpu> cpu = address.ok() ? AskNode(*address, options) : address.status();
    if (!cpu.ok()) {
      sample.notes.push_back(
          fmt::format("{} ({}) did not answer: {}", n.id, n.address, cpu.status().ToString()));
      continue;
    }
    sample.nodes.push_back(std::move(*cpu));
  }
  return sample;
}

ServerCpu ServerCpuPerOp(const ServerCpuSample& before, const ServerCpuSample& after,
                         uint64_t ops) {
  ServerCpu out;
  // A note said twice (before and after) is said once.
  for (const std::string& n : before.notes) Append(&out.note, n);
  for (const std::string& n : after.notes)
    if (std::find(before.notes.begin(), before.notes.end(), n) == before.notes.end())
      Append(&out.note, n);
  for (const NodeCpu& a : after.nodes) {
    auto b = std::find_if(before.nodes.begin(), before.nodes.end(),
                          [&](const NodeCpu& x) { return x.address == a.address; });
    if (b == before.nodes.end()) {
      Append(&out.note, fmt::format("{} was not sampled before the run, not counted", a.id));
      continue;
    }
    // Another process at that address, or the same node restarted: its CPU time began again.
    if (b->id != a.id || a.uptime_seconds < b->uptime_seconds || a.micros < b->micros) {
      Append(&out.note, fmt::format("{} restarted during the run, not counted", a.id));
      continue;
    }
    out.micros += a.micros - b->micros;
    ++out.nodes;
  }
  for (const NodeCpu& b : before.nodes) {
    const bool sampled_after =
        std::any_of(after.nodes.begin(), after.nodes.end(),
                    [&](const NodeCpu& x) { return x.address == b.address; });
    if (!sampled_after)
      Append(&out.note, fmt::format("{} was not sampled after the run, not counted", b.id));
  }
  if (ops > 0 && out.nodes > 0)
    out.micros_per_op = static_cast<double>(out.micros) / static_cast<double>(ops);
  return out;
}

}  // namespace kv::bench
