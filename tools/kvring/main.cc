// kvring: asks one node for the ring as it sees it — a row per node (id, address, up/down,
// state, vnodes, ownership, seconds since last heard) and the cluster's N, R, W — or, with
// --key, that key's preference list (libkv/client/ring_format.h).
// Exit codes: 0 printed, 2 usage error, 3 the node could not answer (unreachable, timeout,
// refused, server error).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "libkv/base/limits.h"
#include "libkv/client/client.h"
#include "libkv/client/exit_code.h"
#include "libkv/client/node_address.h"
#include "libkv/client/ring_format.h"
#include "libkv/client/tool_error.h"

namespace {

int Fail(const kv::Status& s, bool json) {
  return kv::ReportToolError("kvring", s, json);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Shows the ring as one kv node sees it: every node with its status (up/down), state,\n"
      "virtual nodes, share of the key space and when it was last heard, and the cluster's\n"
      "N, R and W. With a key, that key's preference list: the nodes that store it, in order.\n"
      "The node is --node, else $KV_NODE, else 127.0.0.1:7000.\n"
      "Exit codes: 0 printed, 2 usage error, 3 the node could not answer.",
      "kvring"};
  std::string node_flag, key;
  bool json = false;
  int timeout_ms = 5000;
  kv::ClientOptions options;
  app.add_option("--node", node_flag,
                 "Node to ask, HOST:PORT (default: $KV_NODE, else 127.0.0.1:7000)")
      ->type_name("HOST:PORT");
  app.add_option("--key", key, "Show this key's preference list instead of the ring")
      ->type_name("KEY");
  app.add_option("--timeout-ms", timeout_ms, "Give up after this long")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  app.add_option("--cluster-name", options.cluster_name, "Cluster name the node must have")
      ->capture_default_str();
  app.add_flag("--json", json,
               "Print {\"self\",\"replicas\",\"read_quorum\",\"write_quorum\",\"nodes\":[...]}, "
               "or with a key {\"key\",\"replicas\":[ids...]}");
  app.set_version_flag("--version", std::string("kvring ") + KV_VERSION);
  app.footer("Examples:\n  kvring\n  kvring --node 10.0.0.5:7000 --json\n  kvring --key greeting");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kv::kExitOk : kv::kExitUsage;
  }
  options.timeout = std::chrono::milliseconds(timeout_ms);
  const bool with_key = app.count("--key") > 0;
  kv::Result<kv::HostPort> node = kv::ChooseNodeAddress(node_flag, std::getenv("KV_NODE"));
  if (!node.ok()) return Fail(node.status(), json);
  if (with_key) {
    if (kv::Status s = kv::CheckKey(key); !s.ok()) return Fail(s.WithContext("--key"), json);
  }

  std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
  kv::Result<kv::RingResponse> ring = client->Ring(with_key ? key : std::string());
  if (!ring.ok()) return Fail(ring.status(), json);

  std::string out;
  if (with_key) {
    out = json ? kv::FormatPreferenceListJson(*ring) : kv::FormatPreferenceListText(*ring);
  } else {
    out = json ? kv::FormatRingJson(*ring) : kv::FormatRingText(*ring, node->ToString());
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (std::ferror(stdout)) {
    std::cerr << "kvring: writing to stdout failed\n";
    return kv::kExitUnavailable;
  }
  return kv::kExitOk;
}
