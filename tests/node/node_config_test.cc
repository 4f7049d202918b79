// NodeConfig validation: the tombstone grace period against the hint window, and --listen on every
// interface against --advertise.
#include <doctest/doctest.h>

#include "libkv/node/node_config.h"

namespace kv {

TEST_CASE("node config: a tombstone grace shorter than the hint window is refused") {
  NodeConfig c;
  CHECK(ValidateNodeConfig(c).ok());  // the defaults: a day against three hours
  c.tombstone_grace = std::chrono::seconds(3600);
  c.hint_window = std::chrono::seconds(7200);
  const Status s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("hint window") != std::string::npos);
  // Without hints there is nothing older than a delete that could arrive late.
  c.hinted_handoff = false;
  CHECK(ValidateNodeConfig(c).ok());
}

}  // namespace kv

namespace kv {

TEST_CASE(
    "node config: listening on every interface needs --advertise, and it must be one address") {
  NodeConfig c;
  c.listen = "0.0.0.0:7000";
  Status s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("--advertise") != std::string::npos);
  c.listen = "[::]:7000";
  CHECK(ValidateNodeConfig(c).code() == ErrorCode::kInvalidArgument);
  c.advertise = "10.0.0.5:7000";
  CHECK(ValidateNodeConfig(c).ok());
  c.advertise = "0.0.0.0:7000";
  s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("no single address") != std::string::npos);
  c.advertise = "no-port";
  s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("advertise") != std::string::npos);
  // A specific listen address needs none.
  c.listen = "127.0.0.1:7000";
  c.advertise.clear();
  CHECK(ValidateNodeConfig(c).ok());
}

}  // namespace kv
