// NodeConfig validation of tombstone GC's grace period against the hint window.
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
