// kvring remove NODE: takes a node that is down for good out of the ring (Cassandra's nodetool
// removenode, Riak's cluster force-remove). The asked node gossips it as left on its behalf
// (RemoveRequest; refused for a node that is up, or when too few replicas would remain unless
// `force`) and names the nodes that gained part of its ranges. Once every live node has heard of
// the removal (each one's ring shows the node left), each of those nodes repairs the whole ring
// (RepairRequest over (0, 0]: the keys it now replicates come from the remaining replicas), one
// after the other, with a progress line on a terminal. Prints the outcome (text or JSON) and
// returns the exit code: 0 every gaining node converged, 2 refused or a usage error, 3 the node
// could not answer, or a gaining node's streaming did not converge (the problems on stderr, and
// which kvrepair to run later).
#pragma once

#include <string>

#include "libkv/client/client.h"
#include "libkv/client/node_address.h"

namespace kv::tools {

struct RemoveNodeOptions {
  std::string node;  // the id of the node to remove
  bool force = false;
  bool json = false;
  // Per repair call (a whole ring on one node): kvrepair's default, not kvring's short timeout.
  std::chrono::milliseconds stream_timeout{600000};
};

int RemoveNode(const HostPort& via, const ClientOptions& client_options,
               const RemoveNodeOptions& options);

}  // namespace kv::tools
