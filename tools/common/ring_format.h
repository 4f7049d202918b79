// How kvring shows a RingResponse (man/kvring.1, "OUTPUT"): a table for people, one JSON object
// for scripts; the same two for a key's preference list. Here rather than in the tool so that
// tests pin the exact form. Pure functions, any thread.
//
//   ring as seen by a (127.0.0.1:7000): 3 nodes, N=3 R=2 W=2
//   ID  ADDRESS         STATUS  STATE       LOAD   KEYS  VNODES  OWNERSHIP  PRIMARY  HINTS  HEARD
//   a   127.0.0.1:7000  up      normal   1.2 GiB  ~3.1M     256     100.0%    33.3%      0  -
//   b   127.0.0.1:7001  down    normal         ?      ?     256     100.0%    33.3%     12  12.5s
//   ago
//
// LOAD is the bytes of the node's tables on disk and KEYS an estimate of its keys
// (EngineStats::estimated_keys: high by the overwrites not yet compacted), as its last heartbeat
// said; "?" when it states none. OWNERSHIP is the share of the key space a node holds a replica of
// (the shares add up to N x 100% when there are at least N nodes); HEARD is how long ago the asked
// node last heard the node's heartbeat ("-" for itself, or never). With fewer nodes than N a last
// line says that every key is stored on all of them.
#pragma once

#include <string>
#include <string_view>

#include "libkv/net/admin_messages.h"

namespace kv {

// `asked`: the address the tool asked (HOST:PORT), for the header.
std::string FormatRingText(const RingResponse& ring, std::string_view asked);
// {"self":…,"replicas":N,"read_quorum":R,"write_quorum":W,"nodes":[{"id","address","status",
// "state","load","vnodes","ownership","primary_ownership","seconds_since_heard","hints_pending",
// "generation","clock_id"}…]} and a newline. load is {"disk_bytes","keys"}, or null when the node
// states none; ownership and primary_ownership are fractions in [0, 1]; seconds_since_heard is
// null for itself or never.
std::string FormatRingJson(const RingResponse& ring);

//   preference list of greeting (N=3), as seen by a:
//   1. b  up
//   2. c  down
//   3. a  up
std::string FormatPreferenceListText(const RingResponse& ring);
// {"key":…,"replicas":[ids in order…]} and a newline (the key base64 with "key_base64":true when
// it is not UTF-8).
std::string FormatPreferenceListJson(const RingResponse& ring);

}  // namespace kv
