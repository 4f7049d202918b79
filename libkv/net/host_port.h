// HOST:PORT addresses, as given on command lines and in configs: "127.0.0.1:7000",
// "localhost:7000", "[::1]:7000". Parsing only (no name resolution). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/base/status.h"

namespace kv {

struct HostPort {
  std::string host;  // without IPv6 brackets
  uint16_t port = 0;

  // Back to HOST:PORT, with brackets around an IPv6 host.
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};

// InvalidArgument saying what is wrong and what is expected ("HOST:PORT, e.g. 127.0.0.1:7000").
// Port 0 is allowed (a listener binds any free port).
Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace kv
