// kvget: reads one key and prints its value's bytes exactly (no newline added), or with --json
// an object with the value (base64 when it is not UTF-8).
// Exit codes: 0 found, 1 not found (message on stderr), 2 usage error, 3 the store could not
// answer (unreachable, timeout, refused, server error).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "libkv/base/json.h"
#include "libkv/client/client.h"
#include "libkv/client/exit_code.h"
#include "libkv/client/node_address.h"
#include "libkv/client/tool_error.h"

namespace {

int Fail(const kv::Status& s, bool json) {
  return kv::ReportToolError("kvget", s, json);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Reads KEY from a kv node and prints its value's bytes exactly (no newline added).\n"
      "The node is --node, else $KV_NODE, else 127.0.0.1:7000.\n"
      "Exit codes: 0 found, 1 not found, 2 usage error, 3 the store could not answer.",
      "kvget"};
  std::string key, node_flag;
  bool json = false;
  int timeout_ms = 5000;
  kv::ClientOptions options;
  app.add_option("KEY", key, "Key (1 byte to 64 KiB)")->required();
  app.add_option("--node", node_flag,
                 "Node to talk to, HOST:PORT (default: $KV_NODE, else 127.0.0.1:7000)");
  app.add_option("--timeout-ms", timeout_ms, "Give up after this long")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  app.add_option("--cluster-name", options.cluster_name, "Cluster name the node must have")
      ->capture_default_str();
  app.add_flag("--json", json,
               "Print {\"key\":...,\"found\":...,\"value\":...}; bytes that are not UTF-8 come as "
               "base64 with \"value_base64\":true");
  app.set_version_flag("--version", std::string("kvget ") + KV_VERSION);
  app.footer("Examples:\n  kvget greeting\n  kvget photo > photo.jpg\n  kvget --json greeting");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kv::kExitOk : kv::kExitUsage;
  }
  options.timeout = std::chrono::milliseconds(timeout_ms);
  kv::Result<kv::HostPort> node = kv::ChooseNodeAddress(node_flag, std::getenv("KV_NODE"));
  if (!node.ok()) return Fail(node.status(), json);
  if (kv::Status s = kv::CheckKey(key); !s.ok()) return Fail(s, json);

  std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
  kv::Result<std::optional<std::string>> got = client->Get(key);
  if (!got.ok()) return Fail(got.status(), json);
  if (!got->has_value()) {
    std::cerr << "kvget: key '" << key << "' not found on " << node->ToString() << "\n";
    if (json) {
      std::string out = "{";
      kv::AppendJsonBytesMember(&out, "key", key);
      out += ",\"found\":false}\n";
      std::cout << out;
    }
    return kv::kExitNotFound;
  }
  const std::string& value = **got;
  if (json) {
    std::string out = "{";
    kv::AppendJsonBytesMember(&out, "key", key);
    out += ",\"found\":true,";
    kv::AppendJsonBytesMember(&out, "value", value);
    out += "}\n";
    std::cout << out;
  } else {
    std::fwrite(value.data(), 1, value.size(), stdout);
  }
  std::fflush(stdout);
  if (std::ferror(stdout)) {
    std::cerr << "kvget: writing the value to stdout failed\n";
    return kv::kExitUnavailable;
  }
  return kv::kExitOk;
}
