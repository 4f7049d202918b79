// LocalQuorum: a quorum of one zone's replicas of a key, as Cassandra's LOCAL_QUORUM — what a
// client asks with `kvget --r local --zone Z` or `kvput --w local --zone Z` (a request's
// local_zone, libkv/net/client_messages.h). It is a majority of the key's replicas in zone Z,
// floor(n_z / 2) + 1, where n_z is taken from the key's own preference list on each request: the
// ring decides how many of a key's replicas each zone holds (it varies by range with uneven
// zones), so no count is assumed here. A read and a write at the local quorum of the same zone
// overlap, as R + W > N does for the whole list: two majorities of the same n_z replicas.
//
// A zone that no node of the ring is in, or a key with no replica in the zone (more zones than
// N), is refused (InvalidArgument), never served at some other quorum: the client asked for a
// promise about zone Z that the cluster cannot give for that key.
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/replication/cluster_view.h"

namespace kv {

struct LocalQuorum {
  std::string zone;
  uint32_t replicas_in_zone = 0;  // n_z: the key's replicas in the zone (1..N)
  uint32_t need = 0;              // floor(n_z / 2) + 1

  // "local quorum of zone b", for messages.
  std::string Name() const;
};

// Whether `node` is in `zone`: on the current ring, or for a node only on the future one (a
// joining node, a key's pending replica) on that one.
bool NodeInZone(const ClusterView& view, std::string_view node, std::string_view zone);

// The local quorum of `zone` for a key whose preference list (on view.ring) is `replicas`.
// InvalidArgument when `zone` is not a zone name (membership's CheckZoneName), when no node of
// the ring is in it (the message lists the zones there are), or when none of `replicas` is in it.
Result<LocalQuorum> LocalQuorumFor(const ClusterView& view,
                                   const std::vector<std::string>& replicas, std::string_view zone);

}  // namespace kv
