// The flags every client tool (kvput, kvget, kvring, kvrepair, kvbench) shares for its
// credentials, defined once so that they mean the same everywhere:
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
#include "libkv/net/tls.h"

namespace kv::tools {

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
