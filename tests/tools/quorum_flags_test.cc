// kvget's and kvput's quorum flags (tools/common/quorum_flags.h): a number, or `local` with the
// client's --zone.
#include "tools/common/quorum_flags.h"

#include <doctest/doctest.h>

namespace kv::tools {

TEST_CASE("quorum flags: a count, the node's default, or local with a zone") {
  Result<QuorumAsk> none = ResolveQuorum("--r", "", "");
  REQUIRE(none.ok());
  CHECK(none->replicas == 0);
  CHECK(none->local_zone.empty());
  Result<QuorumAsk> three = ResolveQuorum("--r", "3", "eu-1");  // --zone alone changes nothing
  REQUIRE(three.ok());
  CHECK(three->replicas == 3);
  CHECK(three->local_zone.empty());
  Result<QuorumAsk> local = ResolveQuorum("--w", "local", "eu-1");
  REQUIRE(local.ok());
  CHECK(local->replicas == 0);
  CHECK(local->local_zone == "eu-1");

  Result<QuorumAsk> no_zone = ResolveQuorum("--w", "local", "");
  CHECK(no_zone.status().code() == ErrorCode::kInvalidArgument);
  CHECK(no_zone.status().message().find("--w local") != std::string::npos);
  CHECK(no_zone.status().message().find("--zone") != std::string::npos);
  CHECK(ResolveQuorum("--r", "local", "a b").status().code() == ErrorCode::kInvalidArgument);
  CHECK(ResolveQuorum("--r", "0", "").status().code() == ErrorCode::kInvalidArgument);
  CHECK(ResolveQuorum("--r", "x", "").status().code() == ErrorCode::kInvalidArgument);
}

}  // namespace kv::tools
