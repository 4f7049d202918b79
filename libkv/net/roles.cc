#include "libkv/net/roles.h"

#include <fmt/format.h>

namespace kv {

namespace {

using wire::MessageType;

// The one table: for each request type, the roles that may send it (bit per Role).
constexpr unsigned Bit(Role r) {
  return 1u << static_cast<unsigned>(r);
}
constexpr unsigned kClients = Bit(Role::kClient) | Bit(Role::kAdmin) | Bit(Role::kPeer);
constexpr unsigned kAdmins = Bit(Role::kAdmin);
constexpr unsigned kPeers = Bit(Role::kPeer);

unsigned RolesFor(MessageType type) {
  switch (type) {
    case MessageType::kGetRequest:
    case MessageType::kRingRequest:
      return kClients;
    // A peer forwards these (a coordinator outside the key's replicas).
    case MessageType::kPutRequest:
    case MessageType::kDeleteRequest:
      return kClients;
    case MessageType::kRepairRequest:
    case MessageType::kLeaveRequest:
    case MessageType::kStatsRequest:
    case MessageType::kCleanupRequest:
    case MessageType::kRemoveRequest:
    case MessageType::kMetricsRequest:
    case MessageType::kRepairStatusRequest:
      return kAdmins;
    case MessageType::kReplicaReadRequest:
    case MessageType::kReplicaWriteRequest:
    case MessageType::kReplicaWriteBatchRequest:
    case MessageType::kGossipSyn:
    case MessageType::kGossipAck2:
    case MessageType::kMerkleLevelRequest:
    case MessageType::kLeafKeysRequest:
      return kPeers;
    default:
      return 0;  // answers and the handshake's frames: nobody sends them as a request
  }
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kClient:
      return "client";
    case Role::kAdmin:
      return "admin";
    case Role::kPeer:
      return "peer";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kClient, Role::kAdmin, Role::kPeer})
    if (RoleName(r) == name) return r;
  return std::nullopt;
}

bool RoleAllows(Role role, MessageType type) {
  return (RolesFor(type) & Bit(role)) != 0;
}

Status CheckRoleAllows(Role role, MessageType type) {
  if (RoleAllows(role, type)) return Status::Ok();
  const unsigned roles = RolesFor(type);
  if (roles == 0)
    return Status::PermissionDenied(
        fmt::format("{} is not a request a node serves", wire::MessageTypeName(type)));
  // Name the least role that may: admin before peer, since operators hold admin certificates.
  const Role needed = (roles & kAdmins) != 0 ? Role::kAdmin : Role::kPeer;
  return Status::PermissionDenied(
      fmt::format("this connection's certificate has role {}; {} needs role {}", RoleName(role),
                  wire::MessageTypeName(type), RoleName(needed)));
}

}  // namespace kv
