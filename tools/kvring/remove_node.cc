#include "tools/kvring/remove_node.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "libkv/base/json.h"
#include "tools/common/exit_code.h"
#include "tools/common/tool_error.h"

namespace kv::tools {

namespace {

int Fail(const Status& s, bool json) {
  return ReportToolError("kvring", s, json);
}

// Whether the ring as `node` sees it shows `removed` left (or no longer lists it).
Result<bool> HasHeard(const HostPort& node, const ClientOptions& options,
                      const std::string& removed) {
  std::unique_ptr<Client> client = Client::Lazy(node, options);
  KV_ASSIGN_OR_RETURN(RingResponse ring, client->Ring(""));
  for (const RingNodeInfo& n : ring.nodes)
    if (n.id == removed) return n.state == "left";
  return true;
}

boost::json::array JsonList(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const std::string& item : items) out.emplace_back(kv::json::TextOr(item));
  return out;
}

}  // namespace

int RemoveNode(const HostPort& via, const ClientOptions& client_options,
               const RemoveNodeOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const bool progress = isatty(STDERR_FILENO) == 1;
  std::unique_ptr<Client> client = Client::Lazy(via, client_options);
  Result<RingResponse> ring = client->Ring("");
  if (!ring.ok()) return Fail(ring.status().WithContext("reading the ring"), options.json);
  std::map<std::string, std::string> addresses;  // id -> host:port
  std::vector<std::string> live;                 // every other node that is up
  for (const RingNodeInfo& n : ring->nodes) {
    addresses[n.id] = n.address;
    if (n.id != options.node && n.up && n.state != "left") live.push_back(n.id);
  }

  Result<RemoveResponse> removed =
      client->Remove(RemoveRequest{.node = options.node, .force = options.force});
  if (!removed.ok())
    return Fail(removed.status().WithContext("removing " + options.node), options.json);

  // Every live node must route writes by the new ring, and each gaining node must compute its
  // ranges from it, before the streaming starts: wait until each says the node has left.
  if (progress)
    std::fprintf(stderr, "removing %s: waiting for every node to hear it\x1b[K",
                 options.node.c_str());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (const std::string& id : live) {
    Result<HostPort> address = ParseHostPort(addresses[id]);
    if (!address.ok()) return Fail(address.status().WithContext(id), options.json);
    for (;;) {
      Result<bool> heard = HasHeard(*address, client_options, options.node);
      if (heard.ok() && *heard) break;
      if (std::chrono::steady_clock::now() > deadline) {
        if (progress) std::fprintf(stderr, "\r\x1b[K");
        return Fail(Status::Unavailable(fmt::format(
                        "{} is removed, but {} has not heard of it within 120 s{}; once it has, "
                        "run kvrepair --range 0:0 on each of: {}",
                        options.node, id, heard.ok() ? "" : " (" + heard.status().message() + ")",
                        fmt::join(removed->streams_to, ", "))),
                    options.json);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  // Each gaining node fetches the ranges it gained from the remaining replicas.
  ClientOptions stream_options = client_options;
  stream_options.timeout = options.stream_timeout;
  uint64_t keys = 0, bytes = 0;
  std::vector<std::string> failed;
  std::vector<std::string> problems;
  for (size_t i = 0; i < removed->streams_to.size(); ++i) {
    const std::string& id = removed->streams_to[i];
    if (progress) {
      std::fprintf(stderr, "\rremoving %s: streaming to %s (%zu of %zu), %llu keys so far\x1b[K",
                   options.node.c_str(), id.c_str(), i + 1, removed->streams_to.size(),
                   static_cast<unsigned long long>(keys));
      std::fflush(stderr);
    }
    Result<HostPort> address = ParseHostPort(addresses[id]);
    Result<RepairResponse> r = address.ok()
                                   ? Client::Lazy(*address, stream_options)
                                         ->Repair(RepairRequest{.range_start = 0, .range_end = 0})
                                   : Result<RepairResponse>(address.status());
    if (!r.ok()) {
      failed.push_back(id);
      problems.push_back(fmt::format("{}: {}", id, r.status().message()));
      continue;
    }
    keys += r->keys_repaired;
    bytes += r->bytes_exchanged;
    if (r->replicas_unreachable > 0 || !r->problems.empty()) {
      failed.push_back(id);
      problems.push_back(fmt::format(
          "{}: {}", id,
          r->problems.empty() ? fmt::format("{} replicas unreachable", r->replicas_unreachable)
                              : r->problems));
    }
  }
  if (progress) std::fprintf(stderr, "\r\x1b[K");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool converged = failed.empty();
  for (const std::string& p : problems) std::cerr << "kvring: streaming " << p << "\n";
  std::string out;
  if (options.json) {
    boost::json::object result;
    result["removed"] = kv::json::TextOr(options.node);
    result["streamed_to"] = JsonList(removed->streams_to);
    result["keys_streamed"] = keys;
    result["bytes_exchanged"] = bytes;
    result["seconds"] = kv::json::Round(seconds, 3);
    result["converged"] = converged;
    result["not_converged"] = JsonList(failed);
    out = kv::json::Serialize(result) + "\n";
  } else {
    out = fmt::format(
        "{} removed from the ring; its ranges streamed to {} node(s) ({}): {} keys, "
        "{} bytes exchanged, in {:.1f} s\n",
        options.node, removed->streams_to.size(), fmt::join(removed->streams_to, ", "), keys, bytes,
        seconds);
    if (!converged)
      out += fmt::format(
          "not converged on {}: run kvrepair --range 0:0 on each once the nodes "
          "it names are back\n",
          fmt::join(failed, ", "));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return converged ? kExitOk : kExitUnavailable;
}

}  // namespace kv::tools
