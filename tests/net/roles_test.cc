// The role table (libkv/net/roles.h) and the connection's authority over it
// (libkv/node/connection_authority.h).
#include "libkv/net/roles.h"

#include <doctest/doctest.h>

#include "libkv/membership/gossip_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/node/connection_authority.h"

namespace kv {
namespace {

using wire::MessageType;

TEST_CASE("roles: the table") {
  const MessageType client_requests[] = {MessageType::kGetRequest, MessageType::kPutRequest,
                                         MessageType::kDeleteRequest, MessageType::kRingRequest};
  const MessageType admin_only[] = {MessageType::kRepairRequest,      MessageType::kLeaveRequest,
                                    MessageType::kStatsRequest,       MessageType::kCleanupRequest,
                                    MessageType::kRemoveRequest,      MessageType::kMetricsRequest,
                                    MessageType::kRepairStatusRequest};
  const MessageType peer_only[] = {MessageType::kReplicaReadRequest,
                                   MessageType::kReplicaWriteRequest,
                                   MessageType::kReplicaWriteBatchRequest,
                                   MessageType::kGossipSyn,
                                   MessageType::kGossipAck2,
                                   MessageType::kMerkleLevelRequest,
                                   MessageType::kLeafKeysRequest};
  for (MessageType t : client_requests) {
    CAPTURE(wire::MessageTypeName(t));
    // A peer forwards Put and Delete, and may read like any client.
    CHECK(RoleAllows(Role::kClient, t));
    CHECK(RoleAllows(Role::kAdmin, t));
    CHECK(RoleAllows(Role::kPeer, t));
  }
  for (MessageType t : admin_only) {
    CAPTURE(wire::MessageTypeName(t));
    CHECK(!RoleAllows(Role::kClient, t));
    CHECK(RoleAllows(Role::kAdmin, t));
    CHECK(!RoleAllows(Role::kPeer, t));
  }
  for (MessageType t : peer_only) {
    CAPTURE(wire::MessageTypeName(t));
    CHECK(!RoleAllows(Role::kClient, t));
    CHECK(!RoleAllows(Role::kAdmin, t));
    CHECK(RoleAllows(Role::kPeer, t));
  }
  // Every known type is in one of the lists, or is an answer nobody may send as a request.
  int requests = 0;
  for (int t = 0; t < 256; ++t) {
    if (!wire::IsKnownMessageType(static_cast<uint8_t>(t))) continue;
    const auto type = static_cast<MessageType>(t);
    const bool any = RoleAllows(Role::kClient, type) || RoleAllows(Role::kAdmin, type) ||
                     RoleAllows(Role::kPeer, type);
    const std::string_view name = wire::MessageTypeName(type);
    CAPTURE(name);
    const bool is_request =
        name.ends_with("Request") || name == "GossipSyn" || name == "GossipAck2";
    CHECK(any == is_request);
    requests += any ? 1 : 0;
  }
  CHECK(requests == 18);
}

TEST_CASE("roles: names and the refusal's message") {
  for (Role r : {Role::kClient, Role::kAdmin, Role::kPeer}) CHECK(ParseRole(RoleName(r)) == r);
  CHECK(!ParseRole("root").has_value());
  CHECK(!ParseRole("").has_value());
  CHECK(CheckRoleAllows(Role::kClient, MessageType::kGetRequest).ok());
  Status s = CheckRoleAllows(Role::kClient, MessageType::kLeaveRequest);
  CHECK(s.code() == ErrorCode::kPermissionDenied);
  CHECK(s.message() ==
        "this connection's certificate has role client; LeaveRequest needs role admin");
  s = CheckRoleAllows(Role::kAdmin, MessageType::kReplicaWriteRequest);
  CHECK(s.message() ==
        "this connection's certificate has role admin; ReplicaWriteRequest needs role peer");
  s = CheckRoleAllows(Role::kPeer, MessageType::kGetResponse);
  CHECK(s.message() == "GetResponse is not a request a node serves");
}

Frame SynFrom(const std::string& from) {
  GossipSynMessage m;
  m.from = from;
  return Frame{.type = MessageType::kGossipSyn,
               .request_id = 1,
               .body = EncodeMessage(GossipSyn{.payload = EncodeGossipSyn(m)})};
}

TEST_CASE("connection authority: plain TCP admits all; TLS by role, and a GossipSyn by name") {
  const ConnectionAuthority plain;
  CHECK(plain.Admit(Frame{.type = MessageType::kLeaveRequest, .request_id = 1, .body = {}}).ok());
  CHECK(plain.Admit(SynFrom("anyone")).ok());

  const ConnectionAuthority client(Role::kClient, "app");
  CHECK(client.Admit(Frame{.type = MessageType::kGetRequest, .request_id = 1, .body = {}}).ok());
  CHECK(!client.Admit(Frame{.type = MessageType::kLeaveRequest, .request_id = 1, .body = {}}).ok());
  CHECK(!client.Admit(SynFrom("app")).ok());  // the role first: clients do not gossip

  const ConnectionAuthority peer(Role::kPeer, "n2");
  CHECK(peer.Admit(SynFrom("n2")).ok());
  const Status s = peer.Admit(SynFrom("n1"));
  CHECK(s.code() == ErrorCode::kPermissionDenied);
  CHECK(s.message() ==
        "this connection's certificate names node 'n2'; a GossipSyn from 'n1' is refused");
  // A body that does not decode is left to the handler, which refuses it as malformed.
  CHECK(peer.Admit(Frame{.type = MessageType::kGossipSyn, .request_id = 1, .body = "junk"}).ok());
}

}  // namespace
}  // namespace kv
