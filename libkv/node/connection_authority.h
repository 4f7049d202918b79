// ConnectionAuthority: what one connection may ask of its node, fixed when the connection is
// opened: over TLS, by the role and name (CN) of the certificate its peer presented
// (libkv/net/roles.h has the table of roles); over plain TCP (a node with no certificates, on
// the loopback address by default) every request, as before TLS. Besides the role, a peer's
// GossipSyn must speak for the node its certificate names, so that one node cannot pose as
// another in the exchange it starts. (The states a gossip message relays about other nodes are
// not bound: they are checked by membership's own bounds.)
// A plain value; Admit is a pure function of it and the request, any thread.
#pragma once

#include <optional>
#include <string>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"
#include "libkv/net/roles.h"

namespace kv {

class ConnectionAuthority {
 public:
  // Plain TCP: every request is admitted.
  ConnectionAuthority() = default;
  // A TLS connection whose peer's certificate names `name` with `role`.
  ConnectionAuthority(Role role, std::string name) : role_(role), name_(std::move(name)) {}

  // Ok, or PermissionDenied saying why the request is refused ("this connection's certificate has
  // role client; LeaveRequest needs role admin"). The request is not served then.
  Status Admit(const Frame& request) const;

  // Empty for plain TCP.
  const std::optional<Role>& role() const { return role_; }
  const std::string& name() const { return name_; }

 private:
  std::optional<Role> role_;
  std::string name_;
};

}  // namespace kv
