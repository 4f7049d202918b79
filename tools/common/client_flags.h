// The flags every client tool (kvput, kvget, kvring, kvrepair, kvbench net) shares, defined once
// so that they mean the same everywhere:
//  - --node HOST:PORT (else $KV_NODE, else 127.0.0.1:7000), --timeout-ms MS (per call; each
//    tool its own default), --cluster-name NAME: which node, how long, which cluster;
//  - --tls-cert FILE, --tls-key FILE, --tls-ca FILE: a certificate (its role decides what the
//    node serves: client or admin), its key and the cluster's CA. Also from KV_TLS_CERT,
//    KV_TLS_KEY, KV_TLS_CA.
//  - --config FILE: a TOML file of the tool's long flags without dashes (tls-cert = "...",
//    node = "...", cluster-name = "..."); by default $XDG_CONFIG_HOME/kv/client.toml, else
//    ~/.config/kv/client.toml, read when it exists. Keys a tool does not have are ignored, so
//    one file serves every tool.
// A flag on the command line wins over the config file, which wins over the environment
// (CLI11's order). All three TLS files or none, whichever the sources (MakeClientTls says what
// is missing). Not a tool: a library the tools link (tools/CMakeLists).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "libkv/base/status.h"
#include "libkv/client/client.h"
#include "libkv/net/host_port.h"
#include "libkv/net/tls.h"

namespace kv::tools {

// What the client flags hold once parsed.
struct ClientFlags {
  std::string node;  // empty: $KV_NODE, else 127.0.0.1:7000
  int64_t timeout_ms = 5000;
  std::string cluster_name = "kv";
  TlsOptions tls;
};

// Adds --node, --timeout-ms and --cluster-name to `app`. `node_help`: what the node is for
// ("Node to repair"); `timeout_help`: what the timeout bounds. flags->timeout_ms holds the
// tool's default when called.
void AddNodeFlags(CLI::App& app, ClientFlags* flags, const std::string& node_help,
                  const std::string& timeout_help);
// AddNodeFlags and AddTlsFlags.
void AddClientFlags(CLI::App& app, ClientFlags* flags, const std::string& node_help,
                    const std::string& timeout_help);

// The node to talk to, and the options to reach it with (TLS context made from the files).
struct ClientTarget {
  HostPort node;
  ClientOptions options;
};
// InvalidArgument for a malformed --node or $KV_NODE, or TLS files given in part (MakeClientTls).
Result<ClientTarget> ResolveClientFlags(const ClientFlags& flags);

// Adds --tls-cert, --tls-key and --tls-ca (with their environment variables) to `app`.
void AddTlsFlags(CLI::App& app, TlsOptions* tls);

// Adds --config FILE to `app` (the root app: a subcommand's options are read from the same file
// only when it falls through to the root's).
void AddClientConfig(CLI::App& app);

// $XDG_CONFIG_HOME/kv/client.toml, else $HOME/.config/kv/client.toml; empty without either.
std::string DefaultClientConfigPath();

// The client's TLS context from the files (null when none is given); InvalidArgument naming
// what is missing or which file is wrong.
Result<std::shared_ptr<TlsContext>> MakeClientTls(const TlsOptions& tls);

}  // namespace kv::tools
