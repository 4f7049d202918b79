// SharedReplicas answers, per ring segment, what ClusterView::WriteSetForToken gives per token:
// checked against it on random tokens and on every ring point and its neighbours, for a stable
// ring and for one where a node joins (the write set then has a pending replica).
#include "libkv/replication/shared_replicas.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

namespace kv {
namespace {

// What SharedReplicas must answer, from the write set itself.
std::vector<uint32_t> Expected(const ClusterView& view, Token token,
                               const std::vector<std::string>& nodes) {
  const std::vector<std::string> set = view.WriteSetForToken(token, 3);
  auto names = [&](const std::string& id) {
    return std::find(set.begin(), set.end(), id) != set.end();
  };
  std::vector<uint32_t> out;
  if (!names(view.self)) return out;
  for (uint32_t i = 0; i < nodes.size(); ++i)
    if (names(nodes[i])) out.push_back(i);
  return out;
}

void CheckAgainstWriteSets(const ClusterView& view, const std::vector<std::string>& nodes) {
  const SharedReplicas shared(view, 3, nodes);
  std::vector<Token> probes = view.ring->Tokens();
  const std::vector<Token> future = view.future->Tokens();
  probes.insert(probes.end(), future.begin(), future.end());
  for (const Token t : std::vector<Token>(probes)) {
    probes.push_back(t + 1);
    probes.push_back(t - 1);
  }
  probes.push_back(0);
  probes.push_back(~Token{0});
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20'000; ++i) probes.push_back(rng());
  size_t shared_somewhere = 0;
  for (const Token t : probes) {
    CAPTURE(t);
    REQUIRE(shared.Of(t) == Expected(view, t, nodes));
    shared_somewhere += !shared.Of(t).empty();
  }
  CHECK(shared_somewhere > 0);  // not vacuous: some tokens are shared
}

TEST_CASE("shared replicas: per segment, exactly the write set's answer for every token") {
  const std::vector<std::string> four = {"n1", "n2", "n3", "n4"};
  auto stable = std::make_shared<const Ring>(Ring::WithVnodes(four, 16));
  ClusterView view{.self = "n2", .ring = stable, .future = stable, .addresses = {}};
  CheckAgainstWriteSets(view, {"n1", "n3", "n4"});
  CheckAgainstWriteSets(view, {"n2"});  // this node alone: the tokens it replicates

  // n5 joins: the future ring has it, and the write sets name it as a pending replica.
  auto future = std::make_shared<const Ring>(Ring::WithVnodes({"n1", "n2", "n3", "n4", "n5"}, 16));
  ClusterView changing{.self = "n2", .ring = stable, .future = future, .addresses = {}};
  REQUIRE(changing.changing());
  CheckAgainstWriteSets(changing, {"n1", "n3", "n4", "n5"});
  ClusterView joining{.self = "n5", .ring = stable, .future = future, .addresses = {}};
  CheckAgainstWriteSets(joining, {"n1", "n2", "n3", "n4"});
}

}  // namespace
}  // namespace kv
