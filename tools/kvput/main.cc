// kvput: writes one key (value from the argument, or raw bytes from stdin) or deletes it (writes
// a tombstone). By default it first reads the key (a get at the node's read quorum, or --r) and
// writes with the context that read returned, so the write replaces every version the read saw:
// an overwrite overwrites and a delete deletes, at the cost of one more round trip. With --context
// (the token kvget printed) it skips the read and supersedes what that get saw; with --blind it
// writes with no context, and the write becomes a sibling of whatever is there. --w local --zone Z
// asks the local quorum of zone Z (tools/common/quorum_flags.h), and so does the read first.
// Exit codes: 0 written, 2 usage error (nothing sent: bad flags, oversized key or value, a bad
// context token, a zone no node is in or that holds no replica of the key), 3 the store could not
// take it or could not be read first (unreachable, timeout, refused, quorum not met, server error;
// a timed-out write may still land), 5 the credentials' role may not.
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
#include "libkv/client/node_address.h"
#include "libkv/versioning/context_token.h"
#include "tools/common/client_flags.h"
#include "tools/common/command_line.h"
#include "tools/common/exit_code.h"
#include "tools/common/quorum_flags.h"
#include "tools/common/sibling_format.h"
#include "tools/common/tool_error.h"

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
      "The key is read first and the write replaces every version that read saw, so an\n"
      "overwrite overwrites and a delete deletes (one more round trip). --context TOKEN (as\n"
      "kvget printed it) replaces what that get saw instead, without a read; --blind writes\n"
      "without reading, next to whatever is there (kvget then shows siblings).\n"
      "--w local --zone Z waits for a majority of the key's replicas in zone Z alone (and\n"
      "reads first at that quorum too, unless --r is given).\n"
      "The node is --node, else $KV_NODE, else 127.0.0.1:7000.\n"
      "Exit codes: 0 written, 2 usage error (nothing sent), 3 the store could not take it\n"
      "(or could not be read first), 5 the credentials' role may not write.",
      "kvput"};
  std::string key, value, context_text;
  bool value_given = false, del = false, blind = false, json = false, quiet = false;
  kv::tools::ClientFlags client_flags;
  kv::WriteOptions write;
  kv::ReadOptions read;
  app.add_option("KEY", key, "Key (1 byte to 64 KiB)")->required();
  app.add_option("VALUE", value, "Value (up to 16 MiB); '-' or omitted: read stdin");
  app.add_flag("--delete", del,
               "Delete KEY instead of writing it (a tombstone superseding what the read, or "
               "--context, saw)");
  app.add_option(
         "--context", context_text,
         "Context token as kvget printed it (its context: line, or \"context\" in its JSON): "
         "the write supersedes the versions that get returned, and kvput does not read first")
      ->type_name("TOKEN");
  app.add_flag("--blind", blind,
               "Write without reading first and without a context: the write replaces nothing "
               "and becomes a sibling of any version there");
  std::string r_text, w_text, zone;
  kv::tools::AddQuorumOption(app, "--r", &r_text,
                             "Read quorum of the read before the write: replicas that must answer",
                             "the node's read quorum; local when --w is local");
  kv::tools::AddQuorumOption(app, "--w", &w_text, "Write quorum: replicas that must acknowledge",
                             "the node's write quorum");
  kv::tools::AddZoneOption(app, &zone);
  app.add_flag("--primaries-only", write.primaries_only,
               "Count only the key's own replicas toward W: refuse the write rather than leave it "
               "with a stand-in for a down replica (Riak's PW)");
  kv::tools::AddClientFlags(app, &client_flags, "Node to talk to",
                            "Give up on the read, or on the write, after this long (a write may "
                            "still land)");
  app.add_flag("--json", json, "Print the outcome as JSON");
  app.add_flag("--quiet,-q", quiet, "Print nothing on success");
  kv::tools::AddClientConfig(app);
  app.footer(
      "Examples:\n  kvput greeting hello\n  kvput photo < photo.jpg\n  kvput --delete greeting\n"
      "  kvput --blind cart eggs\n  kvput --node 127.0.0.1:7001 --json k v\n"
      "  kvput --w local --zone eu-1 greeting hello");
  if (std::optional<int> code = kv::tools::ParseCommandLine(app, argc, argv)) return *code;
  value_given = app.count("VALUE") > 0;
  if (del && value_given) return Fail(kv::Status::InvalidArgument("--delete takes no VALUE"), json);
  if (blind && !context_text.empty()) {
    return Fail(kv::Status::InvalidArgument(
                    "--blind writes with no context: give --blind or --context, not both"),
                json);
  }
  kv::Result<kv::tools::QuorumAsk> w_quorum = kv::tools::ResolveQuorum("--w", w_text, zone);
  if (!w_quorum.ok()) return Fail(w_quorum.status(), json);
  write.w = w_quorum->replicas;
  write.local_zone = w_quorum->local_zone;
  // A write at a local quorum reads first at the same one unless --r says otherwise: it then
  // waits on no other zone at all.
  if (r_text.empty() && !write.local_zone.empty()) r_text = "local";
  kv::Result<kv::tools::QuorumAsk> r_quorum = kv::tools::ResolveQuorum("--r", r_text, zone);
  if (!r_quorum.ok()) return Fail(r_quorum.status(), json);
  read.r = r_quorum->replicas;
  read.local_zone = std::move(r_quorum->local_zone);
  if (app.count("--r") > 0 && (blind || !context_text.empty())) {
    return Fail(kv::Status::InvalidArgument(
                    "--r is the quorum of the read before the write, which --blind and "
                    "--context skip"),
                json);
  }
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
  if (!blind && context_text.empty()) {
    // Read first, on the same connection: the write's context is what that read saw, so the write
    // supersedes every version there (siblings included). A key never written, or only deleted,
    // gives an empty or tombstones-only context, which is fine to write with.
    kv::Result<kv::GetResult> seen = client->Get(key, read);
    if (!seen.ok()) {
      // The read's own code, so the exit code follows kvget's rules (3 unreachable or quorum
      // not met, 5 the role may not read).
      return Fail(kv::Status(seen.status().code(),
                             "reading " + kv::DisplayBytes(key) +
                                 " before writing it failed: " + seen.status().message() +
                                 "; nothing was written (kvput --blind writes without reading, "
                                 "as a sibling of any version there)"),
                  json);
    }
    write.context = std::move(seen->context);
  }
  const kv::Status s = del ? client->Delete(key, write) : client->Put(key, value, write);
  if (!s.ok()) return Fail(s, json);

  if (json) {
    boost::json::object out;
    out["ok"] = true;
    out["op"] = del ? "delete" : "put";
    kv::json::PutBytes(out, "key", key);
    if (!del) out["value_bytes"] = value.size();
    out["node"] = node->ToString();
    std::cout << kv::json::Serialize(out) << "\n";
  } else if (!quiet) {
    if (del)
      std::cout << "deleted '" << key << "' on " << node->ToString() << "\n";
    else
      std::cout << "stored '" << key << "' (" << value.size() << " bytes) on " << node->ToString()
                << "\n";
  }
  return kv::kExitOk;
}
