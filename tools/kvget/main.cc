// kvget: reads one key. One value: prints its bytes exactly (no newline added). Siblings
// (concurrent writes): prints every version and the context to resolve them with, exit 4. With
// --json: every version, its clock and the context, as one object (tools/common/sibling_format.h).
// --r local --zone Z reads at the local quorum of zone Z (tools/common/quorum_flags.h).
// Exit codes: 0 found, 1 not found (message on stderr), 2 usage error (also a zone no node is
// in, or that holds no replica of the key), 3 the store could not answer (unreachable, timeout,
// refused, quorum not met, server error), 4 siblings to resolve.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "libkv/base/limits.h"
#include "libkv/client/client.h"
#include "libkv/client/node_address.h"
#include "tools/common/client_flags.h"
#include "tools/common/command_line.h"
#include "tools/common/exit_code.h"
#include "tools/common/quorum_flags.h"
#include "tools/common/sibling_format.h"
#include "tools/common/tool_error.h"

namespace {

int Fail(const kv::Status& s, bool json) {
  return kv::ReportToolError("kvget", s, json);
}

// Writes all of `bytes` to stdout; exit 3 when that fails (a closed pipe, a full disk).
bool WriteStdout(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
  if (!std::ferror(stdout)) return true;
  std::cerr << "kvget: writing to stdout failed\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Reads KEY from a kv node and prints its value's bytes exactly (no newline added).\n"
      "When concurrent writes left siblings, prints each version and the context token to\n"
      "resolve them with (give it to kvput with the value that replaces them) and exits 4.\n"
      "The node is --node, else $KV_NODE, else 127.0.0.1:7000.\n"
      "--r local --zone Z reads from a majority of the key's replicas in zone Z alone.\n"
      "Exit codes: 0 found, 1 not found, 2 usage error, 3 the store could not answer,\n"
      "4 siblings to resolve, 5 the credentials' role may not read.",
      "kvget"};
  std::string key;
  bool json = false;
  kv::tools::ClientFlags client_flags;
  kv::ReadOptions read;
  std::string r_text, zone;
  app.add_option("KEY", key, "Key (1 byte to 64 KiB)")->required();
  kv::tools::AddQuorumOption(app, "--r", &r_text, "Read quorum: replicas that must answer",
                             "the node's read quorum");
  kv::tools::AddZoneOption(app, &zone);
  kv::tools::AddClientFlags(app, &client_flags, "Node to talk to", "Give up after this long");
  app.add_flag("--json", json,
               "Print {\"key\",\"found\",\"siblings\":[{\"value\",\"tombstone\",\"clock\","
               "\"dot\",\"timestamp_micros\"}...],\"context\"}; bytes that are not UTF-8 come as "
               "base64 with \"value_base64\":true");
  kv::tools::AddClientConfig(app);
  app.footer(
      "Examples:\n  kvget greeting\n  kvget photo > photo.jpg\n  kvget --json greeting\n"
      "  kvget --r 3 greeting\n  kvget --r local --zone eu-1 greeting");
  if (std::optional<int> code = kv::tools::ParseCommandLine(app, argc, argv)) return *code;
  kv::Result<kv::tools::QuorumAsk> quorum = kv::tools::ResolveQuorum("--r", r_text, zone);
  if (!quorum.ok()) return Fail(quorum.status(), json);
  read.r = quorum->replicas;
  read.local_zone = std::move(quorum->local_zone);
  kv::Result<kv::tools::ClientTarget> target = kv::tools::ResolveClientFlags(client_flags);
  if (!target.ok()) return Fail(target.status(), json);
  const kv::HostPort* node = &target->node;
  if (kv::Status s = kv::CheckKey(key); !s.ok()) return Fail(s, json);

  std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, target->options);
  kv::Result<kv::GetResult> got = client->Get(key, read);
  if (!got.ok()) return Fail(got.status(), json);

  int code = kv::kExitOk;
  if (!got->found()) {
    std::cerr << "kvget: key " << kv::DisplayBytes(key) << " not found on " << node->ToString()
              << "\n";
    code = kv::kExitNotFound;
  } else if (got->single_value() == nullptr) {
    std::cerr << "kvget: " << kv::DisplayBytes(key) << " has " << got->siblings.size()
              << " siblings (concurrent writes); resolve them with kvput --context\n";
    code = kv::kExitSiblings;
  }
  std::string out;
  if (json) {
    out = kv::FormatGetResultJson(key, *got);
  } else if (code == kv::kExitSiblings) {
    out = kv::FormatSiblingsText(key, *got);
  } else if (code == kv::kExitOk) {
    out = *got->single_value();
  }
  if (!WriteStdout(out)) return kv::kExitUnavailable;
  return code;
}
