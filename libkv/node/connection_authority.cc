#include "libkv/node/connection_authority.h"

#include <fmt/format.h>

#include "libkv/membership/gossip_messages.h"
#include "libkv/net/cluster_messages.h"

namespace kv {

Status ConnectionAuthority::Admit(const Frame& request) const {
  if (!role_) return Status::Ok();
  KV_RETURN_IF_ERROR(CheckRoleAllows(*role_, request.type));
  if (request.type == wire::MessageType::kGossipSyn) {
    // Only the sender's id is needed; a body that does not decode is refused by the handler.
    Result<GossipSyn> syn = DecodeMessage<GossipSyn>(request.body);
    if (!syn.ok()) return Status::Ok();
    Result<GossipSynMessage> m = DecodeGossipSyn(syn->payload);
    if (!m.ok()) return Status::Ok();
    if (m->from != name_)
      return Status::PermissionDenied(fmt::format(
          "this connection's certificate names node '{}'; a GossipSyn from '{}' is refused", name_,
          m->from));
  }
  return Status::Ok();
}

}  // namespace kv
