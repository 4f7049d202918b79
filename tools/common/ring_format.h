// How kvring shows a RingResponse (man/kvring.1, "OUTPUT"): a table for people, one JSON object
// for scripts; the same two for a key's preference list. Here rather than in the tool so that
// tests pin the exact form. Pure functions, any thread.
//
//   ring as seen by a (127.0.0.1:7000): 3 nodes, N=3 R=2 W=2
//   ID  ADDRESS         STATUS  STATE   ZONE    VNODES  OWNERSHIP  PRIMARY  HINTS  HEARD
//   a   127.0.0.1:7000  up      normal  rack-1     256     100.0%    50.0%      0  -
//   b   127.0.0.1:7001  down    normal  rack-2     256     100.0%    50.0%      3  12.5s ago
//
// ZONE is the node's --zone ("-" for none). OWNERSHIP is the share of the key space a node holds
// a replica of (the shares add up to N x 100% when there are at least N nodes); HEARD is how long
// ago the asked node last heard the node's heartbeat ("-" for itself, or never). With fewer nodes
// than N a last line says that every key is stored on all of them.
#pragma once

#include <string>
#include <string_view>

#include "libkv/net/admin_messages.h"

namespace kv {

// `asked`: the address the tool asked (HOST:PORT), for the header.
std::string FormatRingText(const RingResponse& ring, std::string_view asked);
// {"self":…,"replicas":N,"read_quorum":R,"write_quorum":W,"nodes":[{"id","address","status",
// "state","vnodes","ownership","primary_ownership","seconds_since_heard","generation",
// "clock_id","hints_pending","zone"}…]} and a newline. ownership and primary_ownership are
// fractions in [0, 1]; seconds_since_heard is null for itself or never; zone null for none.
std::string FormatRingJson(const RingResponse& ring);

//   preference list of greeting (N=3), as seen by a:
//   1. b  up  zone rack-2
//   2. c  down  zone rack-3
//   3. a  up  zone rack-1
std::string FormatPreferenceListText(const RingResponse& ring);
// {"key":…,"replicas":[ids in order…],"zones":[each replica's zone or null…]} and a newline (the
// key base64 with "key_base64":true when it is not UTF-8).
std::string FormatPreferenceListJson(const RingResponse& ring);

}  // namespace kv
