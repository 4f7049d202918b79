// Joining and leaving in a whole cluster over the simulated network: a fourth node joins a
// cluster of three holding keys, and later one of the first three leaves, while clients keep
// writing. Every key, those written before and every acknowledged write during, must end up on
// each of the N replicas the ring gives it — after the join and again after the leave — and read
// back. Also: a leave that would leave fewer than N nodes is refused, and so is a joining node's;
// a node restarted after it joined is normal at once.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "libkv/membership/node_state.h"
#include "tests/replication/sim_cluster.h"

namespace kv {
namespace {

// Clients writing new keys through `via` nodes in turn until stopped; the keys acknowledged.
class Writers {
 public:
  Writers(SimCluster& cluster, std::vector<std::string> via) {
    thread_ = std::thread([this, &cluster, via = std::move(via)] {
      for (int i = 0; !stop_; ++i) {
        const std::string key = fmt::format("during-{}", i);
        if (cluster.Put(via[i % via.size()], key, "v-" + key).ok()) {
          std::lock_guard lock(mu_);
          acked_.push_back(key);
        } else {
          ++failed_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  ~Writers() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> acked() {
    std::lock_guard lock(mu_);
    return acked_;
  }
  int failed() const { return failed_; }

 private:
  std::atomic<bool> stop_ = false;
  std::atomic<int> failed_ = 0;
  std::mutex mu_;
  std::vector<std::string> acked_;
  std::thread thread_;
};

// The keys (of `keys`) that some replica of the ring `observer` sees lacks, as "key@node".
std::vector<std::string> UnderReplicated(SimCluster& cluster, const std::string& observer,
                                         const std::vector<std::string>& keys, size_t n) {
  std::shared_ptr<const ClusterView> view = cluster.service(observer).gossiper().view();
  std::vector<std::string> missing;
  for (const std::string& key : keys) {
    for (const std::string& replica : view->ring->PreferenceList(key, n)) {
      const SiblingSet set = cluster.StoredAt(replica, key);
      bool has = false;
      for (const Version& v : set.versions()) has |= v.value == "v-" + key;
      if (!has) missing.push_back(key + "@" + replica);
    }
  }
  return missing;
}

TEST_CASE("join and leave (sim): ranges move and every key keeps N copies while writes go on") {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  // No help from elsewhere: only streaming and the writes to pending replicas may place copies.
  options.hinted_handoff = false;
  SimCluster cluster(options);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    keys.push_back(fmt::format("before-{}", i));
    REQUIRE(cluster.Put("n1", keys.back(), "v-" + keys.back()).ok());
  }

  Writers writers(cluster, {"n1", "n3"});
  cluster.Join("n4");
  CHECK(cluster.service("n4").gossiper().self_status() == NodeStatus::kJoining);
  const std::vector<std::string> four = {"n1", "n2", "n3", "n4"};
  REQUIRE(
      SimCluster::Eventually([&] { return cluster.RingIs(four, four); }, std::chrono::seconds(30)));
  CHECK(cluster.service("n4").gossiper().self_status() == NodeStatus::kNormal);
  // n4 took a share of the keys (N=3 of 4 nodes: about three quarters).
  std::vector<std::string> all = keys;
  for (const std::string& k : writers.acked()) all.push_back(k);
  size_t on_n4 = 0;
  for (const std::string& k : all) on_n4 += !cluster.StoredAt("n4", k).empty();
  CHECK(on_n4 > all.size() / 2);
  CHECK(UnderReplicated(cluster, "n1", all, 3) == std::vector<std::string>());

  // n2 leaves; a leave is refused while it would leave fewer than N nodes (checked below).
  Result<LeaveResponse> leave = cluster.Leave("n2");
  REQUIRE(leave.ok());
  CHECK(leave->state == "leaving");
  const std::vector<std::string> three = {"n1", "n3", "n4"};
  REQUIRE(SimCluster::Eventually([&] { return cluster.RingIs(three, three); },
                                 std::chrono::seconds(30)));
  REQUIRE(SimCluster::Eventually(
      [&] { return cluster.service("n2").gossiper().self_status() == NodeStatus::kLeft; }));
  Result<LeaveResponse> left = cluster.Leave("n2", true);
  REQUIRE(left.ok());
  CHECK(left->state == "left");
  CHECK(left->error.empty());
  CHECK(left->keys_streamed > 0);

  writers.Stop();
  all = keys;
  for (const std::string& k : writers.acked()) all.push_back(k);
  const size_t during = all.size() - keys.size();
  MESSAGE(during << " writes acknowledged during the join and leave, " << writers.failed()
                 << " failed");
  CHECK(all.size() > keys.size() + 50);
  CHECK(UnderReplicated(cluster, "n1", all, 3) == std::vector<std::string>());
  for (const std::string& k : all) {
    Result<SimGet> got = cluster.Get("n3", k);
    REQUIRE(got.ok());
    CHECK(got->Values() == std::vector<std::string>{"v-" + k});
  }

  // Three nodes left at N=3: another leave would under-replicate every key.
  Result<LeaveResponse> refused = cluster.Leave("n1");
  CHECK(refused.status().code() == ErrorCode::kInvalidArgument);

  // A node that has joined comes back normal: its membership file says so.
  cluster.Restart("n4");
  CHECK(cluster.service("n4").gossiper().self_status() == NodeStatus::kNormal);
}

TEST_CASE(
    "join and leave (sim): a node with another N is refused at join, naming the setting and both "
    "values") {
  SimCluster cluster(SimClusterOptions::Nodes(3));
  cluster.Join("n4", QuorumSettings{.n = 2, .r = 2, .w = 2});
  // Its seed refuses its state, and it refuses the cluster's: neither takes the other in.
  REQUIRE(SimCluster::Eventually(
      [&] { return cluster.service("n1").gossiper().RefusalOf("n4").has_value(); }));
  CHECK(cluster.service("n1").gossiper().RefusalOf("n4")->find(
            "N (--replicas) is 3 here and 2 on node n4") != std::string::npos);
  REQUIRE(SimCluster::Eventually(
      [&] { return cluster.service("n4").gossiper().RefusalOf("n1").has_value(); }));
  CHECK(cluster.service("n4").gossiper().RefusalOf("n1")->find(
            "N (--replicas) is 2 here and 3 on node n1") != std::string::npos);
  const std::vector<std::string> three = {"n1", "n2", "n3"};
  for (const std::string& id : three) {
    CHECK(cluster.service(id).gossiper().view()->future->nodes() == three);
    CHECK(cluster.service(id).gossiper().RefusalOf("n4").has_value() == (id == "n1"));
  }
  CHECK(cluster.service("n4").gossiper().self_status() == NodeStatus::kJoining);
  CHECK_FALSE(cluster.service("n4").gossiper().SeesPeers());
  // It never learnt a ring to choose its tokens against: they are still pending, and it is on no
  // ring, not even its own.
  CHECK(cluster.service("n4").gossiper().self_token_kind() == TokenKind::kPending);
  CHECK(cluster.service("n4").gossiper().view()->future->nodes().empty());
}

TEST_CASE("join and leave (sim): a node cannot leave while it is joining") {
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.ring_delay = std::chrono::milliseconds(2000);
  SimCluster cluster(options);
  cluster.Join("n4");
  Result<LeaveResponse> refused = cluster.Leave("n4");
  CHECK(refused.status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("join and leave (sim): Leave re-checks N when it runs, not only when it is asked") {
  // Issue 13: a leave accepted while fake members made the ring look large ran on after the
  // fakes were marked left, and the node "left" a ring with fewer than N nodes (in the attack,
  // none), exited and refused to restart. N=3 with three real nodes: no real leave is allowed.
  SimClusterOptions options = SimClusterOptions::Nodes(3);
  options.ring_delay = std::chrono::milliseconds(1000);
  SimCluster cluster(options);
  REQUIRE(cluster.Put("n1", "k", "v").ok());
  Gossiper& n1 = cluster.service("n1").gossiper();
  REQUIRE(n1.HandleAck2(SimCluster::FakeMembers(3, NodeStatus::kNormal, 1)).ok());
  REQUIRE(n1.NormalPeersUp() == 5);  // n2, n3 and the fakes, heard from just now
  Result<LeaveResponse> accepted = cluster.Leave("n1");
  REQUIRE(accepted.ok());
  CHECK(accepted->state == "leaving");
  // During the ring delay the fakes go away.
  REQUIRE(n1.HandleAck2(SimCluster::FakeMembers(3, NodeStatus::kLeft, 2)).ok());

  REQUIRE(SimCluster::Eventually(
      [&] {
        Result<LeaveResponse> now = cluster.Leave("n1", true);
        return now.ok() && now->phase == "failed";
      },
      std::chrono::seconds(10)));
  Result<LeaveResponse> failed = cluster.Leave("n1", true);
  REQUIRE(failed.ok());
  CHECK(failed->state == "normal");
  CHECK(failed->error.find("leaving would leave 2 normal nodes up for N=3") != std::string::npos);
  CHECK(n1.self_status() == NodeStatus::kNormal);
  // Still a member that serves, and one that restarts.
  Result<SimGet> got = cluster.Get("n2", "k");
  REQUIRE(got.ok());
  CHECK(got->Values() == std::vector<std::string>{"v"});
  cluster.Restart("n1");
  CHECK(cluster.service("n1").gossiper().self_status() == NodeStatus::kNormal);
}

}  // namespace
}  // namespace kv
