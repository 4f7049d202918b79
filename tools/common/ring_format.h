// How kvring shows a RingResponse (man/kvring.1, "OUTPUT"): a table for people (its JSON for
// scripts is FormatRingJson, libkv/net/admin_report.h, which kvnode serves too); a key's
// preference list as text and JSON. Here rather than in the tool so that
// tests pin the exact form. Pure functions, any thread.
//
//   ring as seen by a (127.0.0.1:7000): 2 nodes, N=2 R=1 W=1
//   ID ADDRESS        STATUS STATE  ZONE      LOAD  KEYS VNODES OWNERSHIP PRIMARY HINTS HEARD
//   a  127.0.0.1:7000 up     normal rack-1 1.2 GiB ~3.1M    256    100.0%   50.0%     0 -
//   b  127.0.0.1:7001 down   normal -            ?     ?    256    100.0%   50.0%     3 12.5s ago
//   (columns two spaces apart in the real table, one here to fit)
//
// ZONE is the node's --zone ("-" for none). LOAD is the bytes of the node's tables on disk and
// KEYS an estimate of its keys (EngineStats::estimated_keys: high by the overwrites not yet
// compacted), as its last heartbeat said; "?" when it states none. OWNERSHIP is the share of the
// key space a node holds a replica of (the shares add up to N x 100% when there are at least N
// nodes); HEARD is how long ago the asked node last heard the node's heartbeat ("-" for itself,
// or never). With fewer nodes than N a last line says that every key is stored on all of them.
#pragma once

#include <string>
#include <string_view>

#include "libkv/net/admin_messages.h"
#include "libkv/net/admin_report.h"

namespace kv {

// `asked`: the address the tool asked (HOST:PORT), for the header.
std::string FormatRingText(const RingResponse& ring, std::string_view asked);

//   preference list of greeting (N=3), as seen by a:
//   1. b  up  zone rack-2
//   2. c  down  zone rack-3
//   3. a  up  zone rack-1
std::string FormatPreferenceListText(const RingResponse& ring);
// {"key":…,"replicas":[ids in order…],"zones":[each replica's zone or null…]} and a newline (the
// key base64 with "key_base64":true when it is not UTF-8).
std::string FormatPreferenceListJson(const RingResponse& ring);

}  // namespace kv
