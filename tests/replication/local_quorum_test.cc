// LocalQuorumFor (libkv/replication/local_quorum.h): the majority of a key's replicas in one
// zone, counted from the key's own preference list, and the refusals of a zone the ring does not
// have or a key with no replica in it.
#include "libkv/replication/local_quorum.h"

#include <doctest/doctest.h>

#include <memory>

namespace kv {
namespace {

ClusterView ViewOf(Ring ring) {
  ClusterView view;
  view.self = "n1";
  view.ring = std::make_shared<const Ring>(std::move(ring));
  view.future = view.ring;
  return view;
}

}  // namespace

TEST_CASE("local quorum: a majority of the key's replicas in the zone, whatever their number") {
  const ClusterView view =
      ViewOf(Ring::WithVnodes({"n1", "n2", "n3", "n4", "n5"}, 16, {"a", "a", "a", "b", "b"}));
  // Any preference list, as the ring may give: the count comes from it, not from the zones' sizes.
  Result<LocalQuorum> one = LocalQuorumFor(view, {"n1", "n4", "n2"}, "b");
  REQUIRE(one.ok());
  CHECK(one->replicas_in_zone == 1);
  CHECK(one->need == 1);
  Result<LocalQuorum> two = LocalQuorumFor(view, {"n1", "n4", "n5"}, "b");
  REQUIRE(two.ok());
  CHECK(two->replicas_in_zone == 2);
  CHECK(two->need == 2);
  Result<LocalQuorum> three = LocalQuorumFor(view, {"n1", "n2", "n3"}, "a");
  REQUIRE(three.ok());
  CHECK(three->need == 2);
  CHECK(three->Name() == "local quorum of zone a");
  CHECK(NodeInZone(view, "n4", "b"));
  CHECK_FALSE(NodeInZone(view, "n4", "a"));
  CHECK_FALSE(NodeInZone(view, "n9", "a"));
}

TEST_CASE("local quorum: refused for a zone no node is in, or one without a replica of the key") {
  const ClusterView view =
      ViewOf(Ring::WithVnodes({"n1", "n2", "n3", "n4"}, 16, {"a", "b", "c", "d"}));
  Result<LocalQuorum> unknown = LocalQuorumFor(view, {"n1", "n2", "n3"}, "x");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == ErrorCode::kInvalidArgument);
  CHECK(unknown.status().message().find("no node of the ring is in zone x: its zones are a, b, c, "
                                        "d") != std::string::npos);

  Result<LocalQuorum> none = LocalQuorumFor(view, {"n1", "n2", "n3"}, "d");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == ErrorCode::kInvalidArgument);
  CHECK(none.status().message().find("the key has no replica in zone d") != std::string::npos);
  CHECK(none.status().message().find("n3 in zone c") != std::string::npos);

  Result<LocalQuorum> bad = LocalQuorumFor(view, {"n1"}, "a b");
  CHECK(bad.status().code() == ErrorCode::kInvalidArgument);

  const ClusterView no_zones = ViewOf(Ring::WithVnodes({"n1", "n2", "n3"}, 16));
  Result<LocalQuorum> stateless = LocalQuorumFor(no_zones, {"n1", "n2", "n3"}, "a");
  REQUIRE_FALSE(stateless.ok());
  CHECK(stateless.status().message().find("state no zone") != std::string::npos);
}

TEST_CASE("local quorum: a joining node's zone counts from the future ring") {
  ClusterView view = ViewOf(Ring::WithVnodes({"n1", "n2", "n3"}, 16, {"a", "a", "b"}));
  view.future = std::make_shared<const Ring>(
      Ring::WithVnodes({"n1", "n2", "n3", "n4"}, 16, {"a", "a", "b", "c"}));
  CHECK(NodeInZone(view, "n4", "c"));
  // Zone c has only the joining node: known, but no current replica of any key is there.
  Result<LocalQuorum> joining = LocalQuorumFor(view, {"n1", "n2", "n3"}, "c");
  REQUIRE_FALSE(joining.ok());
  CHECK(joining.status().message().find("no replica in zone c") != std::string::npos);
}

}  // namespace kv
