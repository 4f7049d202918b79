// The quorum flags of kvget and kvput, defined once: --r and --w take a number of replicas, or
// `local`: the local quorum of the client's zone, a majority of the key's replicas in it
// (Cassandra's LOCAL_QUORUM; libkv/replication/local_quorum.h). --zone NAME states the client's
// zone, as kvnode --zone states a node's. Alone it changes nothing, so it may sit in the client's
// config file (zone = "eu-1") for every tool; `local` without a zone is a usage error.
// Not a tool: a library the tools link (tools/CMakeLists).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/base/status.h"

namespace kv::tools {

// Adds the quorum option `name` ("--r", "--w") to `app`; *text gets "local" or a number from 1 to
// 255 (the node checks it against N), and stays empty when the option is not given. `what`
// starts its help: "Read quorum: replicas that must answer".
CLI::Option* AddQuorumOption(CLI::App& app, const std::string& name, std::string* text,
                             const std::string& what, const std::string& default_help);

// Adds --zone NAME to `app`.
void AddZoneOption(CLI::App& app, std::string* zone);

// What a quorum option asks, as ReadOptions and WriteOptions take it: a count (0: the node's
// default), or a local zone with a count of 0.
struct QuorumAsk {
  uint32_t replicas = 0;
  std::string local_zone;
};

// The quorum `text` asks (empty: the node's default). InvalidArgument for `local` without a
// zone, or a zone that is no zone name (kvnode --zone's rule); the message names `flag`.
Result<QuorumAsk> ResolveQuorum(std::string_view flag, std::string_view text,
                                std::string_view zone);

}  // namespace kv::tools
