// kvput: writes one key (value from the argument, or raw bytes from stdin) or deletes it (writes
// a tombstone). With --context (the token kvget printed) the write supersedes the versions that
// get saw; without it the write is blind and becomes a sibling of whatever is there.
// Exit codes: 0 written, 2 usage error (nothing sent: bad flags, oversized key or value, a bad
// context token), 3 the store could not take it (unreachable, timeout, refused, quorum not met,
// server error; a timed-out write may still land).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "libkv/base/json.h"
#include "libkv/base/limits.h"
#include "libkv/client/client.h"
#include "libkv/client/exit_code.h"
#include "libkv/client/node_address.h"
#include "libkv/client/tool_error.h"
#include "libkv/versioning/context_token.h"
#include "tools/common/client_flags.h"
#include "tools/common/command_line.h"

namespace {

// All of stdin as raw bytes; InvalidArgument as soon as it passes the value limit, so an
// endless pipe costs at most the limit.
kv::Result<std::string> ReadStdin() {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const size_t n = std::fread(buf, 1, sizeof(buf), stdin);
    out.append(buf, n);
    if (out.size() > kv::kMaxValueBytes)
      return kv::Status::InvalidArgument(
          "the value on stdin is over the 16 MiB limit; nothing was written");
    if (n < sizeof(buf)) {
      if (std::ferror(stdin)) return kv::Status::IOError("reading the value from stdin failed");
      return out;
    }
  }
}

int Fail(const kv::Status& s, bool json) {
  return kv::ReportToolError("kvput", s, json);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Writes KEY with VALUE (or, with --delete, deletes KEY) on a kv node.\n"
      "The value is read from stdin, as raw bytes, when VALUE is omitted or '-'.\n"
      "With --context TOKEN (as kvget printed it) the write replaces the versions that get saw;\n"
      "without it, it is added next to whatever is there (kvget then shows siblings).\n"
      "The node is --node, else $KV_NODE, else 127.0.0.1:7000.\n"
      "Exit codes: 0 written, 2 usage error (nothing sent), 3 the store could not take it,\n"
      "5 the credentials' role may not write.",
      "kvput"};
  std::string key, value, context_text;
  bool value_given = false, del = false, json = false, quiet = false;
  kv::tools::ClientFlags client_flags;
  kv::WriteOptions write;
  app.add_option("KEY", key, "Key (1 byte to 64 KiB)")->required();
  app.add_option("VALUE", value, "Value (up to 16 MiB); '-' or omitted: read stdin");
  app.add_flag("--delete", del,
               "Delete KEY instead of writing it (a tombstone; with --context, superseding what "
               "that get saw)");
  app.add_option(
         "--context", context_text,
         "Context token as kvget printed it (its context: line, or \"context\" in its JSON): "
         "the write supersedes the versions that get returned; empty: a blind write")
      ->type_name("TOKEN");
  app.add_option("--w", write.w,
                 "Write quorum: replicas that must acknowledge (default: the node's write "
                 "quorum)")
      ->check(CLI::Range(1, 255))
      ->type_name("N");
  app.add_flag("--primaries-only", write.primaries_only,
               "Count only the key's own replicas toward W: refuse the write rather than leave it "
               "with a stand-in for a down replica (Riak's PW)");
  kv::tools::AddClientFlags(app, &client_flags, "Node to talk to",
                            "Give up after this long (a write may still land)");
  app.add_flag("--json", json, "Print the outcome as JSON");
  app.add_flag("--quiet,-q", quiet, "Print nothing on success");
  kv::tools::AddClientConfig(app);
  app.footer(
      "Examples:\n  kvput greeting hello\n  kvput photo < photo.jpg\n  kvput --delete greeting\n"
      "  kvput --node 127.0.0.1:7001 --json k v");
  if (std::optional<int> code = kv::tools::ParseCommandLine(app, argc, argv)) return *code;
  value_given = app.count("VALUE") > 0;
  if (del && value_given) return Fail(kv::Status::InvalidArgument("--delete takes no VALUE"), json);
  if (!context_text.empty()) {
    kv::Result<kv::VectorClock> context = kv::ContextTokenFromText(context_text);
    if (!context.ok()) {
      return Fail(kv::Status::InvalidArgument(
                      "--context: " + context.status().message() +
                      " (the token kvget printed on its context: line, or kvget --json's "
                      "\"context\"); nothing was written"),
                  json);
    }
    write.context = kv::EncodeContextToken(*context);
  }

  kv::Result<kv::tools::ClientTarget> target = kv::tools::ResolveClientFlags(client_flags);
  if (!target.ok()) return Fail(target.status(), json);
  const kv::HostPort* node = &target->node;

  if (!del && (!value_given || value == "-")) {
    if (isatty(STDIN_FILENO))
      std::cerr << "kvput: reading the value from stdin (end it with Ctrl-D)\n";
    kv::Result<std::string> in = ReadStdin();
    if (!in.ok()) return Fail(in.status(), json);
    value = std::move(*in);
  }
  // Checked before connecting: an oversized write never leaves this process.
  if (kv::Status s = del ? kv::CheckKey(key) : kv::CheckKeyAndValue(key, value); !s.ok())
    return Fail(s.WithContext("nothing was written"), json);

  std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, target->options);
  const kv::Status s = del ? client->Delete(key, write) : client->Put(key, value, write);
  if (!s.ok()) return Fail(s, json);

  if (json) {
    std::string out = "{\"ok\":true,\"op\":";
    out += del ? "\"delete\"" : "\"put\"";
    out += ",";
    kv::AppendJsonBytesMember(&out, "key", key);
    if (!del) out += ",\"value_bytes\":" + std::to_string(value.size());
    out += ",\"node\":";
    kv::AppendJsonString(&out, node->ToString());
    out += "}\n";
    std::cout << out;
  } else if (!quiet) {
    if (del)
      std::cout << "deleted '" << key << "' on " << node->ToString() << "\n";
    else
      std::cout << "stored '" << key << "' (" << value.size() << " bytes) on " << node->ToString()
                << "\n";
  }
  return kv::kExitOk;
}
