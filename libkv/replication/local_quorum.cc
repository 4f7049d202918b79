#include "libkv/replication/local_quorum.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "libkv/membership/node_state.h"

namespace kv {

namespace {

bool RingHasZone(const Ring& ring, std::string_view zone) {
  return std::binary_search(ring.zones().begin(), ring.zones().end(), zone);
}

// "a, b and c" of the ring's stated zones; empty when no node states one.
std::string StatedZones(const Ring& ring) {
  std::vector<std::string> stated;
  for (const std::string& z : ring.zones())
    if (!z.empty()) stated.push_back(z);
  return fmt::format("{}", fmt::join(stated, ", "));
}

}  // namespace

std::string LocalQuorum::Name() const {
  return fmt::format("local quorum of zone {}", zone);
}

bool NodeInZone(const ClusterView& view, std::string_view node, std::string_view zone) {
  std::string_view in = view.ring->ZoneOf(node);
  if (in.empty() && view.changing()) in = view.future->ZoneOf(node);
  return !in.empty() && in == zone;
}

Result<LocalQuorum> LocalQuorumFor(const ClusterView& view,
                                   const std::vector<std::string>& replicas,
                                   std::string_view zone) {
  if (Status named = CheckZoneName(zone); !named.ok())
    return Status::InvalidArgument(fmt::format("a local quorum's zone: {}", named.message()));
  const bool known =
      RingHasZone(*view.ring, zone) || (view.changing() && RingHasZone(*view.future, zone));
  if (!known) {
    const std::string stated = StatedZones(*view.ring);
    return Status::InvalidArgument(
        stated.empty()
            ? fmt::format("no node of the ring is in zone {}: its nodes state no zone (kvnode "
                          "--zone), so there is no local quorum to ask; use a plain quorum",
                          zone)
            : fmt::format("no node of the ring is in zone {}: its zones are {} (kvring shows "
                          "each node's)",
                          zone, stated));
  }
  LocalQuorum quorum{.zone = std::string(zone)};
  for (const std::string& r : replicas)
    if (NodeInZone(view, r, zone)) ++quorum.replicas_in_zone;
  if (quorum.replicas_in_zone == 0) {
    std::vector<std::string> where;
    for (const std::string& r : replicas)
      where.push_back(fmt::format("{} in zone {}", r, view.ring->ZoneOf(r)));
    return Status::InvalidArgument(fmt::format(
        "the key has no replica in zone {} (its {} are {}), so no {} can be met: ask a "
        "plain quorum, or the local quorum of a zone that holds it (kvring --key shows them)",
        zone, replicas.size() == 1 ? "replica" : "replicas", fmt::join(where, ", "),
        quorum.Name()));
  }
  quorum.need = quorum.replicas_in_zone / 2 + 1;
  return quorum;
}

}  // namespace kv
