// Roles: what a connection may ask of a node, fixed at the TLS handshake by the role its peer's
// certificate names (docs/formats.md, "Certificates"; docs/architecture.md, "Security"). The one
// table of which request types each role may send lives in roles.cc; a connection without TLS
// (a node on the loopback address with no certificates, the zero-set-up default) has no role and
// is not checked. Pure functions, any thread.
//
//  - client: Get, Put, Delete, Ring (kvget, kvput, kvring's ring).
//  - admin: a client's requests, and Repair, Leave, Stats, Cleanup, Remove, Metrics (kvrepair,
//    kvring leave, stats, cleanup, remove and metrics).
//  - peer: another node of the cluster: the replica reads and writes, gossip, anti-entropy's
//    Merkle levels and leaf keys, and the client requests a node forwards (a coordinator that
//    holds no replica forwards Put and Delete; libkv/replication/coordinator.cc, Forward).
#pragma once

#include <optional>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/wire_format.h"

namespace kv {

enum class Role : uint8_t { kClient, kAdmin, kPeer };

// "client", "admin", "peer": as they are written in a certificate's subject (OU=<role>).
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// Whether `role` may send a request of `type`. Answers (GetResponse, GossipAck, ...) and the
// handshake's frames are requests of no role.
bool RoleAllows(Role role, wire::MessageType type);

// Ok when allowed; else PermissionDenied saying which role the request needs: "this connection's
// certificate has role client; LeaveRequest needs role admin".
Status CheckRoleAllows(Role role, wire::MessageType type);

}  // namespace kv
