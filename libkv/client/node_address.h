// Which node a client tool talks to: `--node HOST:PORT`, else the KV_NODE environment variable,
// else 127.0.0.1:7000 (DESIGN.md, "Programs"). The caller passes the environment value in, so
// this stays a pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/host_port.h"

namespace kv {

inline constexpr std::string_view kDefaultNodeAddress = "127.0.0.1:7000";

// `flag`: the --node value, empty when not given. `env_kv_node`: getenv("KV_NODE"), may be null
// or empty. InvalidArgument naming the source ("--node" or "KV_NODE") when it does not parse.
Result<HostPort> ChooseNodeAddress(std::string_view flag, const char* env_kv_node);

}  // namespace kv
